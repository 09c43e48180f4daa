import pino, { type Logger } from 'pino'
import { RegistryClient } from '../../registry/src/client/index.ts'
import type { ModelRegistry } from '../../registry/src/types.ts'
import type { Credential } from '../../shared/credentials/index.ts'
import { createDriftApp, DEFAULT_MAX_BODY_BYTES } from './app/index.ts'
import type { DriftOptions } from './detect/index.ts'
import type { EmbeddingOptions } from './embeddings/index.ts'
import { createDriftMetrics } from './metrics/index.ts'
import {
  firstOf,
  MemoryReferences,
  RegistryReferences,
  RepositoryReferences,
} from './references/index.ts'
import type { RetrainPolicyOptions, Trainer } from './retrain/index.ts'
import { DriftService } from './service/index.ts'
import { openDriftStore } from './store/index.ts'
import type { WindowOptions } from './window/index.ts'

export interface DriftSetup {
  /** A Triton-style model repository whose versions carry `reference.csv`. */
  modelsDir?: string
  /**
   * The model registry, read for each version's reference (production's when a version isn't
   * named) instead of `modelsDir`. Give the LocalTrainer the same registry to retrain from it.
   */
  registry?: ModelRegistry
  /** The registry service's URL, when `registry` isn't given. */
  registryUrl?: string
  /** PostgreSQL for history; PGlite (embedded) in `dataDir`, or in memory, without it. */
  databaseUrl?: string
  dataDir?: string
  window: WindowOptions
  drift?: DriftOptions
  /** DataSketches' KS on sketches for numerical features, for long windows. */
  sketchKs?: boolean
  /** How vector columns are tested: Evidently's `model` by default (see ../README.md). */
  embeddings?: EmbeddingOptions
  /** Where labelled rows are appended, for retraining on ground truth. */
  labelledDir?: string
  trainer?: Trainer
  retrain?: RetrainPolicyOptions
  maxBodyBytes?: number
  /**
   * The holders who may ingest records, references and evaluations (`drift:ingest`) and post
   * labels (`drift:labels`); without any, those calls are refused (403).
   */
  credentials?: Credential[]
  logger?: Logger
  /** Process metrics (CPU, memory, event loop) beside the drift metrics; on by default. */
  processMetrics?: boolean
  isReady?: () => boolean
}

/** The drift service wired up — store, references, service and HTTP app — without a port. */
export async function createDriftService(options: DriftSetup) {
  const logger = options.logger ?? pino({ name: 'drift' })
  const metrics = createDriftMetrics({ processMetrics: options.processMetrics ?? true })
  const store = await openDriftStore({
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  })
  const uploaded = new MemoryReferences()
  const registry =
    options.registry ?? (options.registryUrl ? new RegistryClient(options.registryUrl) : undefined)
  const models = registry
    ? new RegistryReferences(registry)
    : options.modelsDir
      ? new RepositoryReferences(options.modelsDir)
      : undefined
  const service = new DriftService({
    references: models ? firstOf(models, uploaded) : uploaded,
    store,
    metrics,
    logger,
    window: options.window,
    ...(options.drift ? { drift: options.drift } : {}),
    ...(options.sketchKs ? { sketchKs: true } : {}),
    ...(options.embeddings ? { embeddings: options.embeddings } : {}),
    ...(options.trainer ? { trainer: options.trainer } : {}),
    ...(options.retrain ? { retrain: options.retrain } : {}),
    ...(options.labelledDir ? { labelledDir: options.labelledDir } : {}),
  })
  const app = createDriftApp({
    service,
    store,
    metrics,
    logger,
    uploaded,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    credentials: options.credentials ?? [],
    isReady: options.isReady ?? (() => true),
  })
  return { app, service, store, metrics, logger }
}
