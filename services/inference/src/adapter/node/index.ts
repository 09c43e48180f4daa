import pino, { type Logger } from 'pino'
import { listen } from '../../../../shared/node-server/index.ts'
import { createInferenceApp, DEFAULT_MAX_BODY_BYTES } from '../../app/index.ts'
import {
  type CaptureSink,
  FanOutCaptureSink,
  HttpCaptureSink,
  JsonlCaptureSink,
  RequestCapture,
} from '../../capture/index.ts'
import { createInferenceMetrics } from '../../metrics/index.ts'
import { ModelRepository } from '../../repository/index.ts'

export interface InferenceServerOptions {
  modelsDir: string
  port: number
  host?: string
  /** Seconds between repository scans; unset serves what was there at start-up. */
  pollIntervalSeconds?: number
  captureDir?: string
  /** The drift service's base URL: captured rows are posted to it too. */
  captureUrl?: string
  captureSampleRate?: number
  maxBodyBytes?: number
  logger?: Logger
}

export interface InferenceServer {
  url: string
  port: number
  repository: ModelRepository
  /** Readiness goes false, accepted requests finish, capture flushes, sessions are released. */
  close: () => Promise<void>
}

export async function startInferenceServer(
  options: InferenceServerOptions,
): Promise<InferenceServer> {
  const logger = options.logger ?? pino({ name: 'inference' })
  const metrics = createInferenceMetrics()
  const repository = new ModelRepository({ dir: options.modelsDir, metrics, logger })
  const sinks: CaptureSink[] = [
    ...(options.captureDir ? [new JsonlCaptureSink(options.captureDir)] : []),
    ...(options.captureUrl ? [new HttpCaptureSink(options.captureUrl)] : []),
  ]
  const capture =
    sinks.length > 0 && (options.captureSampleRate ?? 0) > 0
      ? new RequestCapture({
          sink: sinks.length === 1 ? (sinks[0] as CaptureSink) : new FanOutCaptureSink(sinks),
          sampleRate: options.captureSampleRate ?? 0,
          onWritten: (model, rows) => metrics.captured.inc({ model }, rows),
          onDropped: (model, rows, reason) => metrics.captureDropped.inc({ model, reason }, rows),
        })
      : undefined
  let ready = false
  const app = createInferenceApp({
    repository,
    metrics,
    logger,
    ...(capture ? { capture } : {}),
    isReady: () => ready,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  })
  await repository.loadAll()
  if (options.pollIntervalSeconds) repository.startPolling(options.pollIntervalSeconds * 1000)

  const { url, port, stop } = await listen(app.fetch, options)
  ready = true
  logger.info({ url, models: repository.index() }, 'inference server ready')

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      ready = false
      await stop()
      await repository.close()
      await capture?.close()
      logger.info('inference server stopped')
    })()
    return closing
  }
  return { url, port, repository, close }
}
