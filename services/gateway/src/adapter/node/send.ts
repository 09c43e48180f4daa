import http from 'node:http'
import https from 'node:https'
import {
  type Send,
  type SendInit,
  type UpstreamResponse,
  UpstreamResponseTooLarge,
  UpstreamTimeout,
} from '../../upstream/index.ts'

export interface NodeSend {
  send: Send
  /** Closes the pooled connections. */
  close(): void
}

const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE'])

/**
 * Whether `error` is the server closing a kept-alive connection as `request` went out on it
 * (Node's documented race for `request.reusedSocket`): the server never read the request, so an
 * HTTP client sends it again.
 */
export const isStaleSocket = (request: http.ClientRequest, error: NodeJS.ErrnoException) =>
  request.reusedSocket && STALE_SOCKET_CODES.has(error.code ?? '')
// As many free sockets as the server may have closed together, within reason.
const MAX_STALE_RETRIES = 8

class StaleSocket extends Error {
  constructor(override readonly cause: Error) {
    super(`kept-alive connection closed by the server: ${cause.message}`)
  }
}

/**
 * The gateway's upstream client on Node: `node:http` on keep-alive agents, a plain timer for the
 * deadline. Node 20's `fetch` (undici behind web streams) and an `AbortSignal` per request cost
 * several times as much CPU per proxied request.
 */
export function createNodeSend(options: { maxSockets?: number } = {}): NodeSend {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256 }
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) }

  const sendOnce = (url: string, init: SendInit) =>
    new Promise<UpstreamResponse>((resolve, reject) => {
      const headers = init.body
        ? { ...init.headers, 'content-length': String(init.body.byteLength) }
        : init.headers
      const secure = url.startsWith('https:')
      const request = (secure ? https : http).request(
        url,
        { method: init.method, headers, agent: secure ? agents.https : agents.http },
        (response) => {
          const chunks: Buffer[] = []
          let length = 0
          response.on('data', (chunk: Buffer) => {
            length += chunk.byteLength
            if (length > init.maxResponseBytes) {
              fail(new UpstreamResponseTooLarge(init.maxResponseBytes))
              return
            }
            chunks.push(chunk)
          })
          response.on('end', () => {
            clearTimeout(timer)
            // A fresh ArrayBuffer of exactly the body: Buffer.concat may hand out a slice of
            // Node's shared pool, which a Response would expose whole.
            const body = new Uint8Array(length)
            let offset = 0
            for (const chunk of chunks) {
              body.set(chunk, offset)
              offset += chunk.byteLength
            }
            resolve({ status: response.statusCode ?? 502, headers: headersOf(response), body })
          })
          response.on('error', fail)
        },
      )
      // Settles first, then closes the connection: whatever the socket reports after that is moot.
      const fail = (error: Error) => {
        clearTimeout(timer)
        reject(error)
        request.destroy()
      }
      const timer = setTimeout(() => fail(new UpstreamTimeout(init.timeoutMs)), init.timeoutMs)
      request.on('error', (error: NodeJS.ErrnoException) =>
        fail(isStaleSocket(request, error) ? new StaleSocket(error) : error),
      )
      request.end(init.body ? new Uint8Array(init.body) : undefined)
    })

  // A request that met a stale kept-alive socket goes again, on another socket or a new one,
  // within the time it had left; each stale socket is destroyed, so this ends.
  const send: Send = async (url, init) => {
    const deadline = Date.now() + init.timeoutMs
    for (let attempt = 1; ; attempt++) {
      const timeoutMs = Math.max(1, deadline - Date.now())
      try {
        return await sendOnce(url, { ...init, timeoutMs })
      } catch (error) {
        if (!(error instanceof StaleSocket)) throw error
        if (attempt > MAX_STALE_RETRIES) throw error.cause
      }
    }
  }

  return {
    send,
    close: () => {
      agents.http.destroy()
      agents.https.destroy()
    },
  }
}

// Node has parsed them already; a web Headers built from them would cost more than the lookups.
function headersOf(response: http.IncomingMessage): UpstreamResponse['headers'] {
  return {
    get: (name) => {
      const value = response.headers[name.toLowerCase()]
      if (value === undefined) return null
      return Array.isArray(value) ? value.join(', ') : value
    },
  }
}
