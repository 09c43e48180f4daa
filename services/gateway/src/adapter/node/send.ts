import http from 'node:http'
import https from 'node:https'
import {
  type Send,
  type UpstreamResponse,
  UpstreamResponseTooLarge,
  UpstreamTimeout,
} from '../../upstream/index.ts'

export interface NodeSend {
  send: Send
  /** Closes the pooled connections. */
  close(): void
}

/**
 * The gateway's upstream client on Node: `node:http` on keep-alive agents, a plain timer for the
 * deadline. Node 20's `fetch` (undici behind web streams) and an `AbortSignal` per request cost
 * several times as much CPU per proxied request.
 */
export function createNodeSend(options: { maxSockets?: number } = {}): NodeSend {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256 }
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) }

  const send: Send = (url, init) =>
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
      request.on('error', fail)
      request.end(init.body ? new Uint8Array(init.body) : undefined)
    })

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
