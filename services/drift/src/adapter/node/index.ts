import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import pino, { type Logger } from 'pino'
import { createDriftApp, DEFAULT_MAX_BODY_BYTES } from '../../app/index.ts'
import type { DriftOptions } from '../../detect/index.ts'
import { createDriftMetrics } from '../../metrics/index.ts'
import { firstOf, MemoryReferences, RepositoryReferences } from '../../references/index.ts'
import type { RetrainPolicyOptions, Trainer } from '../../retrain/index.ts'
import { DriftService } from '../../service/index.ts'
import { openDriftStore } from '../../store/index.ts'
import type { WindowOptions } from '../../window/index.ts'

export interface DriftServerOptions {
  port: number
  host?: string
  /** A Triton-style model repository whose versions carry `reference.csv`. */
  modelsDir?: string
  /** PostgreSQL for history; PGlite (embedded) in `dataDir`, or in memory, without it. */
  databaseUrl?: string
  dataDir?: string
  window: WindowOptions
  drift?: DriftOptions
  /** Where labelled rows are appended, for retraining on ground truth. */
  labelledDir?: string
  trainer?: Trainer
  retrain?: RetrainPolicyOptions
  maxBodyBytes?: number
  logger?: Logger
}

export async function startDriftServer(options: DriftServerOptions) {
  const logger = options.logger ?? pino({ name: 'drift' })
  const metrics = createDriftMetrics()
  const store = await openDriftStore({
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  })
  const uploaded = new MemoryReferences()
  const references = options.modelsDir
    ? firstOf(new RepositoryReferences(options.modelsDir), uploaded)
    : uploaded
  const service = new DriftService({
    references,
    store,
    metrics,
    logger,
    window: options.window,
    ...(options.drift ? { drift: options.drift } : {}),
    ...(options.trainer ? { trainer: options.trainer } : {}),
    ...(options.retrain ? { retrain: options.retrain } : {}),
    ...(options.labelledDir ? { labelledDir: options.labelledDir } : {}),
  })
  let ready = false
  const app = createDriftApp({
    service,
    store,
    metrics,
    logger,
    uploaded,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    isReady: () => ready,
  })
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
  logger.info(
    { url, window: options.window, store: options.databaseUrl ? 'postgresql' : 'pglite' },
    'drift service ready',
  )

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      ready = false
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
      await service.close()
      logger.info('drift service stopped')
    })()
    return closing
  }
  return { url, port, service, store, close }
}
