import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { type RequestCapture, toCaptureRows } from '../capture/index.ts'
import { InferenceError } from '../errors/index.ts'
import type { InferenceMetrics, RequestMetrics } from '../metrics/index.ts'
import type { InferResult, ModelVersion } from '../model/index.ts'
import type { ModelRepository } from '../repository/index.ts'
import { MAX_ID_LENGTH, type TensorData } from '../tensor/index.ts'

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
}

export type Protocol = 'v1' | 'v2'

export interface Prediction {
  model: ModelVersion
  inputs: TensorData[]
  result: InferResult
  requestId: string | undefined
}

/**
 * Runs one inference request with what every protocol needs around it: model resolution, the
 * request metrics by outcome, in-flight accounting and sampled capture of the prediction.
 */
export async function serveInference(
  ctx: InferenceContext,
  target: { protocol: Protocol; name: string; version: string | undefined },
  handle: (model: ModelVersion) => Promise<{ response: Response; prediction?: Prediction }>,
): Promise<Response> {
  const started = performance.now()
  // Unknown names get one label value, so random requests can't grow the metric cardinality.
  const model = ctx.repository.has(target.name) ? target.name : 'unknown'
  let version = target.version ?? ''
  let status = 500
  const inflight = ctx.requestMetrics.inflight(model)
  inflight.inc()
  let resolved: ModelVersion | undefined
  try {
    resolved = ctx.repository.resolve(target.name, target.version)
    version = resolved.version
    const chosen = resolved
    const { response, prediction } = await chosen.serve(() => handle(chosen))
    status = response.status
    if (prediction) capture(ctx, prediction)
    return response
  } catch (error) {
    status = error instanceof InferenceError ? error.status : 500
    if (status === 503) ctx.metrics.rejected.inc({ model, reason: 'unavailable' })
    throw error
  } finally {
    inflight.dec()
    const ms = performance.now() - started
    resolved?.statistics.request(status < 400, ms)
    ctx.requestMetrics.requests(model, version, target.protocol, String(status)).inc()
    ctx.requestMetrics.duration(model, version, target.protocol).observe(ms / 1000)
  }
}

function capture(ctx: InferenceContext, { model, inputs, result, requestId }: Prediction) {
  const rows = model.maxBatchSize > 0 ? (inputs[0]?.shape[0] ?? 1) : 1
  ctx.capture?.offer(model.name, rows, () =>
    toCaptureRows({
      model: model.name,
      version: model.version,
      config: model.config,
      // An over-long id (a header the body limit does not bound) is replaced, not captured.
      requestId:
        requestId !== undefined && requestId.length <= MAX_ID_LENGTH ? requestId : randomUUID(),
      inputs,
      outputs: result.outputs,
    }),
  )
}
