import pino, { type Logger } from 'pino'
import type { Credential } from '../../shared/credentials/index.ts'
import type { Tracer } from '../../shared/tracing/index.ts'
import { createInferenceApp, DEFAULT_MAX_BODY_BYTES } from './app/index.ts'
import {
  type CaptureSink,
  FanOutCaptureSink,
  HttpCaptureSink,
  JsonlCaptureSink,
  RequestCapture,
} from './capture/index.ts'
import { RegistryFollower } from './follow/index.ts'
import { createInferenceMetrics, type InferenceMetrics } from './metrics/index.ts'
import { type ModelControl, ModelRepository } from './repository/index.ts'

export interface InferenceSetup {
  modelsDir: string
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
  isReady?: () => boolean
  /** Traces every request (OpenTelemetry): the CLI passes one when OTEL_EXPORTER_OTLP_* is set. */
  tracer?: Tracer
}

/**
 * The inference service wired up — repository with its models loaded (and polled, with
 * `pollIntervalSeconds`), capture, HTTP app, and the registry follower synced once — without a
 * port. The caller starts `follower` once it serves; `close` stops it, then releases the
 * repository's sessions and flushes capture.
 */
export async function createInferenceService(options: InferenceSetup) {
  // Ignoring it would hide a mistake: the server would serve its folder, following no registry.
  if (options.registryModels && options.registryUrl === undefined) {
    throw new Error(
      'registryModels needs registryUrl: only a server following the registry has models to choose',
    )
  }
  const logger = options.logger ?? pino({ name: 'inference' })
  const metrics = createInferenceMetrics()
  const repository = new ModelRepository({ dir: options.modelsDir, metrics, logger })
  // Before anything starts or loads: the service starts with the registry's models, or not at all.
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
  const app = createInferenceApp({
    repository,
    metrics,
    logger,
    ...(capture ? { capture } : {}),
    ...(options.tracer ? { tracer: options.tracer } : {}),
    isReady: options.isReady ?? (() => true),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    modelControl: options.modelControl ?? 'none',
    credentials: options.credentials ?? [],
  })
  if (options.modelControl === 'explicit' && !options.credentials?.length) {
    logger.warn('model control is explicit but no credentials are configured: nobody can use it')
  }
  await repository.loadAll()
  if (options.pollIntervalSeconds) repository.startPolling(options.pollIntervalSeconds * 1000)
  const close = async () => {
    await follower?.stop()
    await repository.close()
    await capture?.close()
  }
  return { app, repository, follower, metrics, logger, close }
}

/** A follower of the registry that has synced once; throws, naming the registry, if it can't. */
async function followRegistry(
  registryUrl: string,
  options: InferenceSetup,
  deps: { repository: ModelRepository; metrics: InferenceMetrics; logger: Logger },
) {
  // Loaded on use: a service that follows no registry needs none of its code.
  const { RegistryClient } = await import('../../registry/src/client/index.ts')
  const follower = new RegistryFollower({
    registry: new RegistryClient(registryUrl),
    modelsDir: options.modelsDir,
    models: options.registryModels,
    intervalMs: options.registrySyncMs,
    drainMs: options.registryDrainMs,
    ...deps,
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
