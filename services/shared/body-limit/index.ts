import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

/** 400 for a body that broke off or was malformed on the wire (bad chunked encoding, say). */
export const unreadableBody = (c: Context, reason: unknown) =>
  c.json(
    {
      error: `the request body could not be read: ${reason instanceof Error ? reason.message : String(reason)}`,
    },
    400,
  )

/**
 * 413 for a body over `maxBytes`. A declared length is checked from the header alone: hono's
 * bodyLimit reads `raw.body`, which makes @hono/node-server build a full Request on every call;
 * it still guards bodies sent without a length (chunked), reading them up to the limit. A chunked
 * body that can't be read is a 400: the client's fault, never a 500.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = (c: Context) =>
    c.json({ error: `request body is larger than ${maxBytes} bytes` }, 413)
  const limitStream = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const length = c.req.header('content-length')
    if (length !== undefined) return Number(length) > maxBytes ? tooLarge(c) : next()
    let read = false
    let cutOff = false
    try {
      const limited = await limitStream(c, async () => {
        // On Node a stream cut off by a parse error can read as a short, complete body; the
        // connection's abort is what tells. It is never passed on as if whole.
        cutOff = c.req.raw.signal.aborted
        if (cutOff) return
        read = true
        await next()
      })
      return cutOff ? unreadableBody(c, c.req.raw.signal.reason) : limited
    } catch (error) {
      // Only the read is answered here; what the handlers after it throw is theirs.
      if (read) throw error
      return unreadableBody(c, error)
    }
  }
}
