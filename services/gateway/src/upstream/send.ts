/** An upstream's answer, read in full: the gateway never streams a model's response. */
export interface UpstreamResponse {
  status: number
  headers: Pick<Headers, 'get'>
  body: Uint8Array<ArrayBuffer>
}

export interface SendInit {
  method: string
  headers: Record<string, string>
  body?: ArrayBuffer | undefined
  /** No answer in full by then fails the request with `UpstreamTimeout`. */
  timeoutMs: number
  /** A longer response body fails the request with `UpstreamResponseTooLarge`. */
  maxResponseBytes: number
}

/**
 * How the gateway talks to upstreams. Each runtime may bring its own (the Node adapter does:
 * `fetch` there costs several times a plain `node:http` client); `sendWithFetch` works everywhere.
 */
export type Send = (url: string, init: SendInit) => Promise<UpstreamResponse>

export class UpstreamTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`upstream did not answer within ${timeoutMs} ms`)
    this.name = 'UpstreamTimeout'
  }
}

export class UpstreamResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`upstream response exceeds ${limit} bytes`)
    this.name = 'UpstreamResponseTooLarge'
  }
}

/** `Send` over a web-standard `fetch`. */
export function sendWithFetch(fetch: typeof globalThis.fetch): Send {
  return async (url, { timeoutMs, maxResponseBytes, ...init }) => {
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const response = await fetch(url, { ...init, signal })
      const declared = Number(response.headers.get('content-length') ?? 0)
      if (declared > maxResponseBytes) {
        await response.body?.cancel()
        throw new UpstreamResponseTooLarge(maxResponseBytes)
      }
      const body = new Uint8Array(await response.arrayBuffer())
      if (body.byteLength > maxResponseBytes) throw new UpstreamResponseTooLarge(maxResponseBytes)
      return { status: response.status, headers: response.headers, body }
    } catch (error) {
      throw signal.aborted ? new UpstreamTimeout(timeoutMs) : error
    }
  }
}
