import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { RequestTrace } from '../../../shared/tracing/index.ts'
import type { Principal } from '../auth/index.ts'

/** What each concern's middleware leaves on the context for the ones after it. */
export type GatewayEnv = {
  Variables: {
    requestId: string
    traceId: string
    traceparent: string
    principal?: Principal
    route?: string
    variant?: string
    upstream?: string
    /** The request's spans, when tracing is on. */
    trace?: RequestTrace
    /** Headers every answer carries (the request id, rate limit state), added as they're known. */
    headers: Record<string, string>
  }
}

const answered = new WeakSet<Response>()

/**
 * An answer with the context's headers and `headers`, built as a plain Response: hono's `c.body`
 * builds a web `Headers` for more than one header, and `c.header` one per request, which on Node
 * was a measurable share of a proxied request's CPU; @hono/node-server writes a plain header
 * object straight to the socket.
 */
export function respond(
  c: Context<GatewayEnv>,
  body: ConstructorParameters<typeof Response>[0],
  status: number,
  headers: Record<string, string>,
): Response {
  const response = new Response(body, { status, headers: { ...c.get('headers'), ...headers } })
  answered.add(response)
  return response
}

/** Whether `respond` built the response, so it carries the context's headers already. */
export const hasContextHeaders = (response: Response) => answered.has(response)

/** The gateway's error answer: `{"error": ...}` naming what is wrong. */
export const fail = (
  c: Context<GatewayEnv>,
  status: ContentfulStatusCode,
  error: string,
  headers: Record<string, string> = {},
) =>
  respond(c, JSON.stringify({ error }), status, { 'content-type': 'application/json', ...headers })

/** What the gateway logs: one JSON object a line. */
export type Log = (line: Record<string, unknown>) => void
