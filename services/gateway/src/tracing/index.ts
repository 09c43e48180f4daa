import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions'
import {
  type RequestTrace,
  recordError,
  type Span,
  SpanKind,
} from '../../../shared/tracing/index.ts'
import type { Send } from '../upstream/index.ts'

/** Writes `span`'s W3C context (`traceparent`, and `tracestate` if any) into a header record. */
export function injectInto(headers: Record<string, string>, span: Span): void {
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers)
}

/**
 * `span`'s W3C `traceparent`, read from its context: unlike `injectInto` it needs no propagator
 * registered, so the gateway always has one to send upstream.
 */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext()
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`
}

/**
 * `send`, each call in a client span named `name` (`upstream`, `shadow`) under the request's trace,
 * the upstream's request carrying that span as its parent: a retry is a second span beside the
 * first, and the model server's spans hang under the attempt that reached it.
 */
export function tracedSend(requestTrace: RequestTrace, send: Send, name: string): Send {
  let attempt = 0
  return async (url, init) => {
    attempt++
    const span = requestTrace.child(name, { [ATTR_URL_FULL]: url, attempt }, SpanKind.CLIENT)
    const headers = { ...init.headers }
    injectInto(headers, span)
    try {
      const response = await send(url, { ...init, headers })
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status)
      return response
    } catch (error) {
      recordError(span, error)
      throw error
    } finally {
      span.end()
    }
  }
}
