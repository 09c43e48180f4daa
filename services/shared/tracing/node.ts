/**
 * The OpenTelemetry SDK on Node, configured by the standard variables: on only when an OTLP
 * endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), spans
 * batched and posted as OTLP/HTTP JSON; `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (parentbased_traceidratio and the others),
 * `OTEL_BSP_*` and `OTEL_SDK_DISABLED` as the specification says. Node only: entry points load it,
 * the code they serve takes the `Tracer` it returns.
 */
import { context, DiagLogLevel, diag, propagation, type Tracer, trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources'
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'

export interface TracingOptions {
  /** `service.name` unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names one. */
  serviceName: string
  /** Where spans go instead of the OTLP endpoint (tests: an InMemorySpanExporter); implies on. */
  exporter?: SpanExporter
  /** Export failures and SDK warnings, which OpenTelemetry otherwise swallows. */
  logger?: { warn: (message: string) => void }
}

export interface Tracing {
  /** A tracer named for the instrumented code (`infera-inference`), with the process's resource. */
  tracer: (name: string) => Tracer
  /** Exports what the batch processor holds. */
  flush: () => Promise<void>
  /** Exports what is left and unregisters the SDK. */
  shutdown: () => Promise<void>
}

/** Whether the environment asks for traces. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT)
}

/**
 * Registers the SDK (provider, W3C trace-context propagator, AsyncLocalStorage context manager)
 * and returns its tracers, or undefined, registering nothing, when tracing is not configured.
 */
export function startTracing(options: TracingOptions): Tracing | undefined {
  if (!options.exporter && !tracingConfigured()) return undefined
  const { logger } = options
  if (logger) {
    const warn = (message: string, ...args: unknown[]) =>
      logger.warn([message, ...args.map(String)].join(' '))
    const quiet = () => {}
    diag.setLogger(
      { error: warn, warn, info: quiet, debug: quiet, verbose: quiet },
      DiagLogLevel.WARN,
    )
  }
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }))
    .merge(detectResources({ detectors: [envDetector] }))
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(options.exporter ?? new OTLPTraceExporter())],
  })
  provider.register()
  return {
    tracer: (name) => provider.getTracer(name),
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown()
      // So that the process (a test) can register again.
      trace.disable()
      propagation.disable()
      context.disable()
      diag.disable()
    },
  }
}
