import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import pino, { type Logger } from 'pino'
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

const SHUTDOWN_GRACE_MS = 30_000

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

  const server = serve({
    fetch: app.fetch,
    port: options.port,
    hostname: options.host ?? '0.0.0.0',
  }) as Server
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  ready = true
  const port = (server.address() as AddressInfo).port
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`
  logger.info({ url, models: repository.index() }, 'inference server ready')

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      ready = false
      // close() stops new connections; requests already received finish first. Keep-alive
      // connections are closed as they go idle, and any still open after the grace period are cut.
      const idle = setInterval(() => server.closeIdleConnections(), 100)
      const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS)
      await new Promise<void>((resolve) => server.close(() => resolve()))
      clearInterval(idle)
      clearTimeout(deadline)
      await repository.close()
      await capture?.close()
      logger.info('inference server stopped')
    })()
    return closing
  }
  return { url, port, repository, close }
}
