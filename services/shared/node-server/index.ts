import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'

const SHUTDOWN_GRACE_MS = 30_000

export interface Listening {
  server: Server
  port: number
  /** Where a client on this machine reaches the server. */
  url: string
  /** Stops taking connections and resolves when the requests already received have finished. */
  stop: () => Promise<void>
}

/** Serves a fetch handler on Node, resolving once it listens (port 0 picks a free port). */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { port: number; host?: string },
): Promise<Listening> {
  const host = options.host ?? '0.0.0.0'
  const server = serve({ fetch, port: options.port, hostname: host }) as Server
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
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
  fetch: (request: Request) => Response | Promise<Response>,
  options: { port: number; host?: string },
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
