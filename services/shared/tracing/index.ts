/**
 * Request traces over the OpenTelemetry API. Web-standard: only `@opentelemetry/api` and the
 * semantic-convention names, so the gateway uses it on Node, Deno and Workers alike; the Node SDK
 * (provider, exporter, context manager) is set up in `node.ts`, which only Node entry points load.
 *
 * A service is handed a `Tracer` when tracing is on and nothing when it is off: the request path
 * checks for it once and, without one, calls nothing here at all.
 */
import {
  type Attributes,
  type Context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type TimeInput,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions'

export { type Attributes, type Span, SpanKind, type Tracer }

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
}
const headerSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
}

/** The trace context (W3C `traceparent`, `tracestate`) that a request's headers carry, if any. */
export const extractContext = (headers: Headers): Context =>
  propagation.extract(ROOT_CONTEXT, headers, headerGetter)

export interface RequestTraceOptions {
  /** The server span's name. */
  name: string
  request: Request
  /** The route template (`/v2/models/:name/infer`), the span's `http.route`. */
  route?: string
}

/**
 * One request's trace: a server span continuing the caller's trace (the propagator the SDK
 * registered reads `traceparent`), and the spans of its steps as children. A span the sampler
 * dropped is not recording: callers check `recording` before building attributes for it.
 */
export class RequestTrace {
  readonly span: Span
  readonly #tracer: Tracer
  readonly #context: Context

  constructor(tracer: Tracer, { name, request, route }: RequestTraceOptions) {
    this.#tracer = tracer
    this.span = tracer.startSpan(name, { kind: SpanKind.SERVER }, extractContext(request.headers))
    this.#context = trace.setSpan(ROOT_CONTEXT, this.span)
    if (!this.span.isRecording()) return
    this.span.setAttribute(ATTR_HTTP_REQUEST_METHOD, request.method)
    this.span.setAttribute(ATTR_URL_PATH, new URL(request.url).pathname)
    if (route) this.span.setAttribute(ATTR_HTTP_ROUTE, route)
  }

  get recording(): boolean {
    return this.span.isRecording()
  }

  /** The trace's id (32 hex digits): the caller's when it sent a `traceparent`. */
  get traceId(): string {
    return this.span.spanContext().traceId
  }

  /** A child span starting now; the caller ends it, after `recordError` if it failed. */
  child(name: string, attributes?: Attributes, kind: SpanKind = SpanKind.INTERNAL): Span {
    return this.#tracer.startSpan(
      name,
      { kind, ...(attributes ? { attributes } : {}) },
      this.#context,
    )
  }

  /** Runs `work` in a child span, ended when it settles; a failure is recorded, and rethrown. */
  async step<T>(name: string, work: () => T | Promise<T>, attributes?: Attributes): Promise<T> {
    const span = this.child(name, attributes)
    try {
      return await work()
    } catch (error) {
      recordError(span, error)
      throw error
    } finally {
      span.end()
    }
  }

  /**
   * A child span for what already happened, from `start` to `end`: epoch milliseconds, or
   * `performance.now()` milliseconds of this thread (the SDK tells them apart).
   */
  record(name: string, start: TimeInput, end: TimeInput, attributes?: Attributes): void {
    const span = this.#tracer.startSpan(
      name,
      { startTime: start, ...(attributes ? { attributes } : {}) },
      this.#context,
    )
    span.end(end)
  }

  /** Writes `span`'s context (the server span's by default) into an outgoing request's headers. */
  inject(headers: Headers, span: Span = this.span): void {
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers, headerSetter)
  }

  /**
   * Ends the server span with the response status. As the HTTP conventions have it, a server span
   * is an error from status 500 (a 4xx is the client's): then `error`, if given, is recorded.
   */
  end(status: number, error?: unknown): void {
    if (this.span.isRecording()) {
      this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
      if (status >= 500) {
        if (error === undefined) {
          this.span.setAttribute(ATTR_ERROR_TYPE, String(status))
          this.span.setStatus({ code: SpanStatusCode.ERROR })
        } else recordError(this.span, error)
      }
    }
    this.span.end()
  }
}

/** Marks `span` failed: the error as an exception event, `error.type`, and status ERROR. */
export function recordError(span: Span, error: unknown): void {
  if (!span.isRecording()) return
  const exception = error instanceof Error ? error : new Error(String(error))
  span.recordException(exception)
  span.setAttribute(ATTR_ERROR_TYPE, exception.name)
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message })
}
