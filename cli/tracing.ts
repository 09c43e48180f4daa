import { startTracing } from '../services/shared/tracing/node.ts'

/**
 * The OpenTelemetry SDK for a command's process, on only when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * _TRACES_ENDPOINT) is set, OTEL_* configuring it; its warnings go to stderr. `tracer` is
 * undefined when it is off.
 */
export function commandTracing(serviceName: string) {
  const tracing = startTracing({
    serviceName,
    logger: { warn: (message) => console.warn(`tracing: ${message}`) },
  })
  return {
    tracing,
    tracer: tracing?.tracer(serviceName),
    /** `close`, then the SDK's shutdown: the last requests' spans are exported too. */
    closing: (close: () => Promise<void>) => async () => {
      await close()
      await tracing?.shutdown()
    },
  }
}
