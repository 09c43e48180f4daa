// Inference posts its captured rows to the drift service through this tap, which passes each
// request on unchanged and counts, per model, the rows the drift service acknowledged (2xx). It
// stays up while drift is down (answering 502), so the capture's retries are what it measures —
// exactly, across drift restarts, which the service's own counter doesn't survive.
import { once } from 'node:events'
import { createServer, type IncomingMessage, request, type Server } from 'node:http'

const RECORDS = /^\/v1\/drift\/([^/]+)\/records$/

export class CaptureTap {
  readonly #drift: URL
  readonly #server: Server
  /** Rows per model and drift's answer: its status, or 502 when it couldn't be reached. */
  readonly #rows = new Map<string, Map<number, number>>()
  url = ''

  constructor(driftUrl: string) {
    this.#drift = new URL(driftUrl)
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        const upstream = request(
          {
            host: this.#drift.hostname,
            port: this.#drift.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            this.#count(req, answer.statusCode ?? 502, body)
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          },
        )
        upstream.on('error', () => {
          this.#count(req, 502, body)
          res.writeHead(502).end('drift service unreachable')
        })
        upstream.end(body)
      })
    })
  }

  async listen() {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`
    return this
  }

  /** Rows of `model` the drift service acknowledged (2xx) so far. */
  acknowledged(model: string) {
    let rows = 0
    for (const [status, n] of this.#rows.get(model) ?? [])
      if (status >= 200 && status < 300) rows += n
    return rows
  }

  /** Rows of `model` posted so far, by drift's answer. */
  answers(model: string): Record<number, number> {
    return Object.fromEntries(this.#rows.get(model) ?? [])
  }

  close() {
    this.#server.closeAllConnections()
    this.#server.close()
  }

  #count(req: IncomingMessage, status: number, body: Buffer) {
    const model = RECORDS.exec(new URL(req.url ?? '/', 'http://tap').pathname)?.[1]
    if (req.method !== 'POST' || model === undefined) return
    const name = decodeURIComponent(model)
    const rows = body
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '').length
    const counts = this.#rows.get(name) ?? new Map<number, number>()
    counts.set(status, (counts.get(status) ?? 0) + rows)
    this.#rows.set(name, counts)
  }
}
