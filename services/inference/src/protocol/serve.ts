import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { RequestTrace, Tracer } from '../../../shared/tracing/index.ts'
import { type RequestCapture, toCaptureRows } from '../capture/index.ts'
import { InferenceError } from '../errors/index.ts'
import type { InferenceMetrics, RequestMetrics } from '../metrics/index.ts'
import type { InferResult, ModelVersion } from '../model/index.ts'
import type { ModelRepository } from '../repository/index.ts'
import { MAX_ID_LENGTH, type TensorData } from '../tensor/index.ts'
import { ATTRIBUTES, SPANS, startInferenceTrace, tracedInfer } from './trace.ts'

/** What the protocol routes share: the models, the metrics, capture and the server's readiness. */
export interface InferenceContext {
  repository: ModelRepository
  metrics: InferenceMetrics
  /** The request metrics bound to their labels (`bindRequestMetrics`). */
  requestMetrics: RequestMetrics
  logger: Logger
  capture?: RequestCapture
  /** False before the models have loaded and once shutdown has begun. */
  isReady: () => boolean
  /** Traces each request when given (OpenTelemetry on); nothing is traced without one. */
  tracer?: Tracer
}

export type Protocol = 'v1' | 'v2'

/** What a protocol read from a request: the model's inputs, and the id its rows are captured by. */
export interface Decoded {
  inputs: TensorData[]
  requestId: string | undefined
}

/** A protocol's two ends of an inference request. */
export interface ProtocolHandler<D extends Decoded> {
  /** Reads and checks the request for `model` (a bad one is a 400 naming what is wrong). */
  decode: (model: ModelVersion) => Promise<D>
  encode: (model: ModelVersion, decoded: D, result: InferResult) => Response
}

/**
 * Runs one inference request with what every protocol needs around it: model resolution, the
 * request metrics by outcome, in-flight accounting, sampled capture of the prediction and, with a
 * tracer, the request's spans.
 */
export async function serveInference<D extends Decoded>(
  ctx: InferenceContext,
  target: { protocol: Protocol; name: string; version: string | undefined },
  request: Request,
  handler: ProtocolHandler<D>,
): Promise<Response> {
  const started = performance.now()
  // Unknown names get one label value, so random requests can't grow the metric cardinality.
  const model = ctx.repository.has(target.name) ? target.name : 'unknown'
  let version = target.version ?? ''
  let status = 500
  let failure: unknown
  const inflight = ctx.requestMetrics.inflight(model)
  inflight.inc()
  const trace = ctx.tracer && startInferenceTrace(ctx.tracer, request, target)
  let resolved: ModelVersion | undefined
  try {
    resolved = ctx.repository.resolve(target.name, target.version)
    version = resolved.version
    trace?.span.setAttribute(ATTRIBUTES.version, version)
    const chosen = resolved
    const response = await chosen.serve(() => run(ctx, chosen, handler, trace))
    status = response.status
    return response
  } catch (error) {
    failure = error
    status = error instanceof InferenceError ? error.status : 500
    if (status === 503) ctx.metrics.rejected.inc({ model, reason: 'unavailable' })
    throw error
  } finally {
    inflight.dec()
    trace?.end(status, failure)
    const ms = performance.now() - started
    resolved?.statistics.request(status < 400, ms)
    ctx.requestMetrics.requests(model, version, target.protocol, String(status)).inc()
    ctx.requestMetrics.duration(model, version, target.protocol).observe(ms / 1000)
  }
}

async function run<D extends Decoded>(
  ctx: InferenceContext,
  model: ModelVersion,
  handler: ProtocolHandler<D>,
  trace: RequestTrace | undefined,
): Promise<Response> {
  // Two copies of four steps, so that an untraced request calls nothing of tracing at all.
  if (!trace) {
    const decoded = await handler.decode(model)
    const result = await model.infer(decoded.inputs)
    const response = handler.encode(model, decoded, result)
    capture(ctx, model, decoded, result, undefined)
    return response
  }
  const decoded = await trace.step(SPANS.decode, () => handler.decode(model))
  const result = await tracedInfer(trace, model, decoded.inputs)
  const response = await trace.step(SPANS.encode, () => handler.encode(model, decoded, result))
  if (ctx.capture) {
    const span = trace.child(SPANS.capture)
    span.setAttribute(ATTRIBUTES.captured, capture(ctx, model, decoded, result, trace.traceId))
    span.end()
  }
  return response
}

/** Offers the prediction to capture (the hand-off: rows are built later); whether it was kept. */
function capture(
  ctx: InferenceContext,
  model: ModelVersion,
  { inputs, requestId }: Decoded,
  result: InferResult,
  traceId: string | undefined,
): boolean {
  if (!ctx.capture) return false
  const rows = model.maxBatchSize > 0 ? (inputs[0]?.shape[0] ?? 1) : 1
  return ctx.capture.offer(model.name, rows, () =>
    toCaptureRows({
      model: model.name,
      version: model.version,
      config: model.config,
      // An over-long id (a header the body limit does not bound) is replaced, not captured.
      requestId:
        requestId !== undefined && requestId.length <= MAX_ID_LENGTH ? requestId : randomUUID(),
      ...(traceId === undefined ? {} : { traceId }),
      inputs,
      outputs: result.outputs,
    }),
  )
}
