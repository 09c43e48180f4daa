import type { MiddlewareHandler } from 'hono'
import { RequestTrace, type Tracer } from '../../../shared/tracing/index.ts'
import { continueTrace } from '../app/trace.ts'
import { type GatewayEnv, hasContextHeaders, type Log } from '../context/index.ts'
import type { GatewayMetrics } from '../metrics/index.ts'
import { traceparentOf } from '../tracing/index.ts'

export interface AccessLogOptions {
  metrics: GatewayMetrics
  log: Log
  /** Milliseconds since the epoch. */
  now: () => number
  /** Given when tracing is on: each request's server span, its steps' spans under it. */
  tracer?: Tracer
}

// What hono's request-id middleware accepts from a client.
const CLIENT_REQUEST_ID = /^[\w\-=]{1,255}$/

/** The client's request id when it is a sane one, else a new one. */
function requestIdFor(incoming: string | undefined): string {
  return incoming !== undefined && CLIENT_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
}

/**
 * The outermost middleware: a request id (kept from the client or made), the W3C trace the
 * upstream request continues (with a tracer, the gateway's server span; without, the caller's
 * trace passed on with a new parent id and no span recorded), then, once answered, the request counted and timed and one access
 * log line — rejections included.
 */
export function accessLog({
  metrics,
  log,
  now,
  tracer,
}: AccessLogOptions): MiddlewareHandler<GatewayEnv> {
  return async function accessLog(c, next) {
    const started = now()
    const id = requestIdFor(c.req.header('x-request-id'))
    const headers: Record<string, string> = { 'x-request-id': id }
    c.set('requestId', id)
    c.set('headers', headers)
    const requestTrace = tracer && new RequestTrace(tracer, { name: 'gateway', request: c.req.raw })
    if (requestTrace) {
      c.set('trace', requestTrace)
      c.set('traceId', requestTrace.traceId)
      c.set('traceparent', traceparentOf(requestTrace.span))
    } else {
      const trace = continueTrace(c.req.header('traceparent'))
      c.set('traceId', trace.traceId)
      c.set('traceparent', trace.traceparent)
    }
    try {
      await next()
    } catch (error) {
      requestTrace?.end(500, error)
      throw error
    }
    // An answer made elsewhere (hono's, CORS preflight) gets the headers the gateway's carry.
    if (!hasContextHeaders(c.res)) {
      for (const name in headers) c.res.headers.set(name, headers[name] as string)
    }
    const elapsedMs = now() - started
    // c.get, not c.var: hono builds a fresh object of every variable on each c.var access.
    const tenant = c.get('principal')?.tenant ?? ''
    const route = c.get('route') ?? ''
    const variant = c.get('variant') ?? ''
    const status = c.res.status
    metrics.requests.inc({ route, tenant, variant, status: String(status) })
    metrics.requestDuration.observe({ route, variant }, elapsedMs / 1000)
    if (requestTrace) {
      if (requestTrace.recording) {
        requestTrace.span.setAttributes({
          'infera.tenant': tenant,
          'infera.route': route,
          'infera.variant': variant,
          'infera.request_id': id,
        })
      }
      requestTrace.end(status)
    }
    log({
      event: 'access',
      method: c.req.method,
      path: c.req.path,
      status,
      duration_ms: elapsedMs,
      tenant,
      route,
      variant,
      upstream: c.get('upstream') ?? '',
      request_id: c.get('requestId'),
      trace_id: c.get('traceId'),
    })
  }
}
