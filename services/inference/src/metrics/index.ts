import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

// Latency buckets from 100µs to 10s: batched CPU models answer in well under a millisecond.
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

export const MODEL_STATES = ['LOADING', 'READY', 'UNLOADING', 'UNAVAILABLE'] as const
export type ModelState = (typeof MODEL_STATES)[number]

/** Every metric the inference service exports, registered on its own registry. */
export function createInferenceMetrics({ processMetrics = true } = {}) {
  const registry = new Registry()
  if (processMetrics) collectDefaultMetrics({ register: registry })
  const registers = [registry]
  return {
    registry,
    requests: new Counter({
      name: 'infera_inference_requests_total',
      help: 'Inference requests by model, version, protocol and HTTP status.',
      labelNames: ['model', 'version', 'protocol', 'status'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'infera_inference_request_duration_seconds',
      help: 'Time from receiving an inference request to its response, by model, version and protocol.',
      labelNames: ['model', 'version', 'protocol'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queueDuration: new Histogram({
      name: 'infera_inference_queue_duration_seconds',
      help: 'Time a request waited in the batch queue before its batch ran.',
      labelNames: ['model', 'version'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    computeDuration: new Histogram({
      name: 'infera_inference_compute_duration_seconds',
      help: 'Time of one session.run over a batch.',
      labelNames: ['model', 'version'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    batchSize: new Histogram({
      name: 'infera_inference_batch_size',
      help: 'Rows per executed batch.',
      labelNames: ['model', 'version'] as const,
      buckets: BATCH_BUCKETS,
      registers,
    }),
    instanceExecutions: new Counter({
      name: 'infera_inference_instance_executions_total',
      help: 'Batches run by each instance of a model version (config.json instance_group).',
      labelNames: ['model', 'version', 'instance'] as const,
      registers,
    }),
    instanceBusy: new Gauge({
      name: 'infera_inference_instance_busy',
      help: '1 while an instance of a model version runs a batch.',
      labelNames: ['model', 'version', 'instance'] as const,
      registers,
    }),
    inflight: new Gauge({
      name: 'infera_inference_inflight_requests',
      help: 'Inference requests being handled now.',
      labelNames: ['model'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'infera_inference_queue_depth',
      help: 'Requests waiting in the batch queue.',
      labelNames: ['model', 'version'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'infera_inference_rejected_total',
      help: 'Requests refused before running: queue full or shutting down.',
      labelNames: ['model', 'reason'] as const,
      registers,
    }),
    modelState: new Gauge({
      name: 'infera_model_state',
      help: '1 for the state each model version is in (LOADING, READY, UNLOADING, UNAVAILABLE).',
      labelNames: ['model', 'version', 'state'] as const,
      registers,
    }),
    modelLoadDuration: new Histogram({
      name: 'infera_model_load_duration_seconds',
      help: 'Time to load and warm up a model version.',
      labelNames: ['model', 'version'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    modelLoads: new Counter({
      name: 'infera_model_loads_total',
      help: 'Model version loads by result (success or failure).',
      labelNames: ['model', 'result'] as const,
      registers,
    }),
    captured: new Counter({
      name: 'infera_capture_records_total',
      help: 'Prediction rows captured and written to the capture sink.',
      labelNames: ['model'] as const,
      registers,
    }),
    captureDropped: new Counter({
      name: 'infera_capture_dropped_total',
      help: 'Captured rows dropped, by reason: buffer_full, sink_error, retry_buffer_full (drift service down too long), refused (by the drift service), shutdown (unsent at exit).',
      labelNames: ['model', 'reason'] as const,
      registers,
    }),
    registrySyncs: new Counter({
      // One name for every service following the registry, told apart by `follower`.
      name: 'infera_registry_syncs_total',
      help: 'Syncs with the model registry by result: error when it was unreachable or a model failed.',
      labelNames: ['follower', 'result'] as const,
      registers,
    }),
    registryServedVersion: new Gauge({
      name: 'infera_registry_served_version',
      help: 'The version served for each alias of a model followed from the registry.',
      labelNames: ['model', 'alias'] as const,
      registers,
    }),
  }
}

export type InferenceMetrics = ReturnType<typeof createInferenceMetrics>

/** Caches what `make` returns for each distinct argument list. */
function memoize<A extends string[], R>(make: (...args: A) => R) {
  const cache = new Map<string, R>()
  return (...args: A): R => {
    const key = args.join('\u0000')
    let value = cache.get(key)
    if (value === undefined) {
      value = make(...args)
      cache.set(key, value)
    }
    return value
  }
}

/**
 * The per-request metrics, bound to their labels once: prom-client hashes and validates a label
 * object on every call, which is measurable on the hot path.
 */
export function bindRequestMetrics(metrics: InferenceMetrics) {
  return {
    inflight: memoize((model: string) => metrics.inflight.labels({ model })),
    duration: memoize((model: string, version: string, protocol: string) =>
      metrics.requestDuration.labels({ model, version, protocol }),
    ),
    requests: memoize((model: string, version: string, protocol: string, status: string) =>
      metrics.requests.labels({ model, version, protocol, status }),
    ),
  }
}

export type RequestMetrics = ReturnType<typeof bindRequestMetrics>

/**
 * Sets the one-hot state gauge of a model version; `undefined` (the version is gone) removes its
 * series, so the gauge holds only the versions the repository lists.
 */
export function setModelState(
  metrics: InferenceMetrics,
  model: string,
  version: string,
  state: ModelState | undefined,
) {
  for (const s of MODEL_STATES) {
    if (state === undefined) metrics.modelState.remove({ model, version, state: s })
    else metrics.modelState.set({ model, version, state: s }, s === state ? 1 : 0)
  }
}
