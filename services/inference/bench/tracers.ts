// The tracers the tracing bench compares, by mode: `bypass` (none: what the service runs without
// OTEL_EXPORTER_OTLP_ENDPOINT), `noop` (the OpenTelemetry API's no-op tracer, no SDK: every
// instrumentation call made, nothing recorded), `on` (the SDK, every request sampled, spans
// batched to an exporter that drops them: the cost of tracing itself, without a collector's).
import { ProxyTracerProvider, type Tracer } from '@opentelemetry/api'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { startTracing } from '../../shared/tracing/node.ts'

export const MODES = ['bypass', 'noop', 'on'] as const
export type Mode = (typeof MODES)[number]

const dropping: SpanExporter = {
  // 0 is ExportResultCode.SUCCESS.
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
}

let sdk: ReturnType<typeof startTracing>

/** The tracer of a mode; `on` registers the SDK once per process. */
export function tracerFor(mode: string): Tracer | undefined {
  if (mode === 'bypass') return undefined
  // A provider of its own, which no SDK registered later turns into a real one.
  if (mode === 'noop') return new ProxyTracerProvider().getTracer('infera-inference')
  if (mode === 'on') {
    sdk ??= startTracing({ serviceName: 'bench', exporter: dropping })
    return sdk?.tracer('infera-inference')
  }
  throw new Error(`mode must be ${MODES.join(', ')}, not '${mode}'`)
}
