import { RequestTrace, type Tracer } from '../../../shared/tracing/index.ts'
import type { BatchTiming } from '../batcher/index.ts'
import type { InferResult, ModelVersion } from '../model/index.ts'
import type { TensorData } from '../tensor/index.ts'

/** Span names: Triton's where it has one (its request span, compute input/infer/output). */
export const SPANS = {
  request: 'InferRequest',
  decode: 'decode',
  queue: 'queue',
  computeInput: 'compute_input',
  computeInfer: 'compute_infer',
  computeOutput: 'compute_output',
  encode: 'encode',
  capture: 'capture',
} as const

export const ATTRIBUTES = {
  model: 'infera.model.name',
  version: 'infera.model.version',
  protocol: 'infera.protocol',
  batchId: 'infera.batch.id',
  batchSize: 'infera.batch.size',
  instance: 'infera.model.instance',
  captured: 'infera.capture.sampled',
} as const

/**
 * The trace of one inference request, or undefined when the sampler dropped it: a request that is
 * not traced pays for nothing more.
 */
export function startInferenceTrace(
  tracer: Tracer,
  request: Request,
  target: { protocol: 'v1' | 'v2'; name: string; version: string | undefined },
): RequestTrace | undefined {
  const trace = new RequestTrace(tracer, { name: SPANS.request, request, route: routeOf(target) })
  if (!trace.recording) {
    trace.span.end()
    return undefined
  }
  trace.span.setAttribute(ATTRIBUTES.model, target.name)
  trace.span.setAttribute(ATTRIBUTES.protocol, target.protocol)
  if (target.version !== undefined) trace.span.setAttribute(ATTRIBUTES.version, target.version)
  return trace
}

/** The route template the request matched, as the protocols register them: `http.route`. */
function routeOf({ protocol, version }: { protocol: 'v1' | 'v2'; version: string | undefined }) {
  if (protocol === 'v2') {
    return version === undefined
      ? '/v2/models/:name/infer'
      : '/v2/models/:name/versions/:version/infer'
  }
  return version === undefined ? '/v1/models/:target' : '/v1/models/:name/versions/:target'
}

/**
 * `model.infer(inputs)` with the spans of its batch: the wait in the queue and the batch's compute
 * input, infer and output, from the times the batcher recorded. The queue span starts when the
 * request hands its inputs to the model (their checks included).
 */
export async function tracedInfer(
  trace: RequestTrace,
  model: ModelVersion,
  inputs: TensorData[],
): Promise<InferResult> {
  const enqueuedAt = performance.now()
  const result = await model.infer(inputs)
  recordBatch(trace, enqueuedAt, result.timing)
  return result
}

export function recordBatch(trace: RequestTrace, enqueuedAt: number, timing: BatchTiming) {
  const batch = {
    [ATTRIBUTES.batchId]: timing.batchId,
    [ATTRIBUTES.batchSize]: timing.batchSize,
    [ATTRIBUTES.instance]: timing.instance,
  }
  trace.span.setAttributes(batch)
  trace.record(SPANS.queue, enqueuedAt, timing.startedAt, batch)
  trace.record(SPANS.computeInput, timing.startedAt, timing.inferStartedAt, batch)
  trace.record(SPANS.computeInfer, timing.inferStartedAt, timing.inferEndedAt, batch)
  trace.record(SPANS.computeOutput, timing.inferEndedAt, timing.endedAt, batch)
}
