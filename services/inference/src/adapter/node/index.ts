import pino, { type Logger } from 'pino'
import type { Credential } from '../../../../shared/credentials/index.ts'
import { listenUntilClosed, Readiness } from '../../../../shared/node-server/index.ts'
import { createInferenceApp, DEFAULT_MAX_BODY_BYTES } from '../../app/index.ts'
import {
  type CaptureSink,
  FanOutCaptureSink,
  HttpCaptureSink,
  JsonlCaptureSink,
  RequestCapture,
} from '../../capture/index.ts'
import { RegistryFollower } from '../../follow/index.ts'
import { createInferenceMetrics, type InferenceMetrics } from '../../metrics/index.ts'
import { type ModelControl, ModelRepository } from '../../repository/index.ts'

export interface InferenceServerOptions {
  modelsDir: string
  port: number
  host?: string
  /** Seconds between repository scans; unset serves what was there at start-up. */
  pollIntervalSeconds?: number
  captureDir?: string
  /** The drift service's base URL: captured rows are posted to it too. */
  captureUrl?: string
  /** Bearer token (scope drift:ingest) sent with the rows posted to `captureUrl`. */
  captureToken?: string
  captureSampleRate?: number
  maxBodyBytes?: number
  /** The model registry's URL: its production and canary versions are written into modelsDir. */
  registryUrl?: string
  /**
   * With `registryUrl`, the only models to follow, by exact name (every model the registry has in
   * production without it), so that model groups sharing one registry each serve their own.
   */
  registryModels?: readonly string[]
  /** Milliseconds between syncs with the registry (5000). */
  registrySyncMs?: number
  /** How long a version that lost its alias goes on serving (30000). */
  registryDrainMs?: number
  /**
   * `explicit` opens the repository API's load and unload to holders of `credentials` with scope
   * inference:model-control; `none` (the default) refuses them.
   */
  modelControl?: ModelControl
  credentials?: Credential[]
  logger?: Logger
}

export interface InferenceServer {
  url: string
  port: number
  repository: ModelRepository
  /** Set with `registryUrl`. */
  follower?: RegistryFollower
  /** Readiness goes false, accepted requests finish, capture flushes, sessions are released. */
  close: () => Promise<void>
}

export async function startInferenceServer(
  options: InferenceServerOptions,
): Promise<InferenceServer> {
  // Ignoring it would hide a mistake: the server would serve its folder, following no registry.
  if (options.registryModels && options.registryUrl === undefined) {
    throw new Error(
      'registryModels needs registryUrl: only a server following the registry has models to choose',
    )
  }
  const logger = options.logger ?? pino({ name: 'inference' })
  const metrics = createInferenceMetrics()
  const repository = new ModelRepository({ dir: options.modelsDir, metrics, logger })
  // Before anything starts or loads: the server starts with the registry's models, or not at all.
  const follower =
    options.registryUrl === undefined
      ? undefined
      : await followRegistry(options.registryUrl, options, { repository, metrics, logger })
  const sinks: CaptureSink[] = [
    ...(options.captureDir ? [new JsonlCaptureSink(options.captureDir)] : []),
    ...(options.captureUrl
      ? [
          new HttpCaptureSink(options.captureUrl, {
            logger,
            ...(options.captureToken ? { token: options.captureToken } : {}),
          }),
        ]
      : []),
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
  const readiness = new Readiness()
  const app = createInferenceApp({
    repository,
    metrics,
    logger,
    ...(capture ? { capture } : {}),
    isReady: readiness.isReady,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    modelControl: options.modelControl ?? 'none',
    credentials: options.credentials ?? [],
  })
  if (options.modelControl === 'explicit' && !options.credentials?.length) {
    logger.warn('model control is explicit but no credentials are configured: nobody can use it')
  }
  await repository.loadAll()
  if (options.pollIntervalSeconds) repository.startPolling(options.pollIntervalSeconds * 1000)

  const { url, port, close } = await listenUntilClosed(app.fetch, options, {
    readiness,
    release: async () => {
      await follower?.stop()
      await repository.close()
      await capture?.close()
      logger.info('inference server stopped')
    },
  })
  follower?.start()
  logger.info({ url, models: repository.index() }, 'inference server ready')
  return { url, port, repository, follower, close }
}

/** A follower of the registry that has synced once; throws, naming the registry, if it can't. */
async function followRegistry(
  registryUrl: string,
  options: InferenceServerOptions,
  {
    repository,
    metrics,
    logger,
  }: Pick<InferenceServer, 'repository'> & {
    metrics: InferenceMetrics
    logger: Logger
  },
) {
  // Loaded on use: a server that follows no registry needs none of its code.
  const { RegistryClient } = await import('../../../../registry/src/index.ts')
  const follower = new RegistryFollower({
    registry: new RegistryClient(registryUrl),
    modelsDir: options.modelsDir,
    models: options.registryModels,
    intervalMs: options.registrySyncMs,
    drainMs: options.registryDrainMs,
    logger,
    metrics,
    repository,
  })
  try {
    await follower.sync()
  } catch (error) {
    // fetch's own message ("fetch failed") hides what went wrong: the cause names it.
    const cause = (error as Error & { cause?: Error }).cause ?? (error as Error)
    throw new Error(`cannot read the model registry at ${registryUrl}: ${cause.message}`, {
      cause: error,
    })
  }
  return follower
}
