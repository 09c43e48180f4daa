import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener, type HttpBindings } from '@hono/node-server'

const SHUTDOWN_GRACE_MS = 30_000
const MiB = 1024 * 1024

/**
 * How much of a request body a server reads and throws away when it answers without having read
 * it all (a 413, a 401): clients that send the whole body before reading the answer (urllib,
 * requests, Java's HttpURLConnection) would otherwise meet a reset connection, not the answer.
 * Past either bound the answer is sent with `Connection: close` and the connection closed.
 */
export const DRAIN_LIMITS = { maxBytes: 256 * MiB, maxMs: 30_000 }

export interface ListenOptions {
  port: number
  /** 127.0.0.1 unless given: a service is opened to the network on purpose (`--host`, `HOST`). */
  host?: string
  /** Overrides `DRAIN_LIMITS`. */
  drain?: { maxBytes: number; maxMs: number }
}

export type FetchHandler = (request: Request, env: HttpBindings) => Response | Promise<Response>

export interface Listening {
  server: Server
  port: number
  /** Where a client on this machine reaches the server. */
  url: string
  /** Stops taking connections and resolves when the requests already received have finished. */
  stop: () => Promise<void>
}

const expectsContinue = (incoming: IncomingMessage) =>
  incoming.headers.expect?.toLowerCase() === '100-continue'

/**
 * Reads and discards what is left of a body the handler did not read, within `limits`; true when
 * the body ended. Chunks are counted and dropped, never kept: memory stays flat however much comes.
 */
function discardBody(
  incoming: IncomingMessage,
  limits: { maxBytes: number; maxMs: number },
): Promise<boolean> {
  if (incoming.readableEnded) return Promise.resolve(true)
  if (incoming.destroyed) return Promise.resolve(false)
  return new Promise((resolve) => {
    let bytes = 0
    const finish = (ended: boolean) => {
      clearTimeout(timer)
      incoming.off('data', count).off('end', onEnd).off('close', onClose)
      if (!ended) incoming.pause()
      resolve(ended)
    }
    const count = (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > limits.maxBytes) finish(false)
    }
    const onEnd = () => finish(true)
    const onClose = () => finish(incoming.readableEnded)
    const timer = setTimeout(() => finish(false), limits.maxMs)
    // A reader the handler left behind (a web stream over the body) would buffer what follows.
    incoming.removeAllListeners('data')
    incoming.on('data', count).once('end', onEnd).once('close', onClose)
    incoming.resume()
  })
}

function withConnectionClose(response: Response): Response {
  const headers = new Headers(response.headers)
  headers.set('connection', 'close')
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
}

/**
 * The handler, answering only once the request body has been read (by the handler, or drained
 * here within the limits), so a client still sending it can read the answer.
 */
function settlingBodies(
  fetch: FetchHandler,
  limits: { maxBytes: number; maxMs: number },
  continued: WeakSet<IncomingMessage>,
): FetchHandler {
  return async (request, env) => {
    const response = await fetch(request, env)
    const { incoming } = env
    if (incoming.method === 'GET' || incoming.method === 'HEAD' || incoming.readableEnded) {
      return response
    }
    // The client waits for 100 Continue before sending: it sent nothing, and will send nothing
    // on this connection, which can't be reused with a body owed.
    if (expectsContinue(incoming) && !continued.has(incoming)) return withConnectionClose(response)
    return (await discardBody(incoming, limits)) ? response : withConnectionClose(response)
  }
}

/**
 * Serves a fetch handler on Node, resolving once it listens (port 0 picks a free port).
 *
 * Bodies: `Expect: 100-continue` is answered with 100 only once the handler starts reading the
 * body, so a request refused on its headers (over the size limit, without credentials) is answered
 * before the client sends anything; a body the handler did not read is drained (`DRAIN_LIMITS`)
 * before the answer goes out.
 */
export async function listen(fetch: FetchHandler, options: ListenOptions): Promise<Listening> {
  const host = options.host ?? '127.0.0.1'
  const continued = new WeakSet<IncomingMessage>()
  const handler = settlingBodies(fetch, options.drain ?? DRAIN_LIMITS, continued)
  // An HTTP/1.1 server: the bindings are never HTTP/2's.
  const listener = getRequestListener((request, env) => handler(request, env as HttpBindings))
  const server = createServer(listener)
  // Without this listener Node sends 100 Continue at once, before anything has looked at the
  // request. 'resume' is the body starting to flow into a reader.
  server.on('checkContinue', (incoming: IncomingMessage, outgoing: ServerResponse) => {
    incoming.once('resume', () => {
      if (outgoing.headersSent) return
      continued.add(incoming)
      outgoing.writeContinue()
    })
    listener(incoming, outgoing)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
    server.listen(options.port, host)
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  const stop = async () => {
    // close() stops new connections; requests already received finish first. Keep-alive
    // connections are closed as they go idle, and any still open after the grace period are cut.
    const idle = setInterval(() => server.closeIdleConnections(), 100)
    const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS)
    await new Promise<void>((resolve) => server.close(() => resolve()))
    clearInterval(idle)
    clearTimeout(deadline)
  }
  return { server, port, url, stop }
}

export interface ServiceOptions {
  /**
   * What `/health/ready` reports: set true once listening and false as closing starts, so load
   * balancers stop sending requests before the port closes.
   */
  readiness?: Readiness
  /** Runs once the requests under way have finished: flush, close stores, release sessions. */
  release: () => Promise<void>
}

/** A service's readiness, handed to its app (`isReady`) before the app listens. */
export class Readiness {
  #ready = false
  readonly isReady = () => this.#ready

  set(ready: boolean) {
    this.#ready = ready
  }
}

/**
 * `listen`, with the shutdown every service shares: `close` (safe to call more than once) takes
 * readiness away, stops taking requests, waits for those under way, then releases the rest.
 */
export async function listenUntilClosed(
  fetch: FetchHandler,
  options: ListenOptions,
  { readiness, release }: ServiceOptions,
) {
  const { url, port, stop } = await listen(fetch, options)
  readiness?.set(true)
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      readiness?.set(false)
      await stop()
      await release()
    })()
    return closing
  }
  return { url, port, close }
}
