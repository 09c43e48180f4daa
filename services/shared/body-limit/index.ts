import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

/**
 * 413 for a body over `maxBytes`. A declared length is checked from the header alone: hono's
 * bodyLimit reads `raw.body`, which makes @hono/node-server build a full Request on every call;
 * it still guards bodies sent without a length (chunked).
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = (c: Context) =>
    c.json({ error: `request body is larger than ${maxBytes} bytes` }, 413)
  const limitStream = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const length = c.req.header('content-length')
    if (length === undefined) return limitStream(c, next)
    return Number(length) > maxBytes ? Promise.resolve(tooLarge(c)) : next()
  }
}
