import pino, { type Logger } from 'pino'
import { createRegistryApp, DEFAULT_MAX_BODY_BYTES } from './app/index.ts'
import { openRegistry, type RegistryOptions } from './registry/index.ts'

export interface RegistrySetup extends RegistryOptions {
  maxBodyBytes?: number
  logger?: Logger
  isReady?: () => boolean
}

/** The registry wired up — metadata store, artifact store and HTTP app — without a port. */
export async function createRegistry(options: RegistrySetup) {
  const logger = options.logger ?? pino({ name: 'registry' })
  const registry = await openRegistry(options)
  const app = createRegistryApp({
    registry,
    logger,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    isReady: options.isReady ?? (() => true),
  })
  return { app, registry, logger }
}

export { startRegistryServer } from './adapter/node/index.ts'
export { ACTOR_HEADER, createRegistryApp, SHA256_HEADER } from './app/index.ts'
export {
  ArtifactError,
  type ArtifactStore,
  LocalArtifactStore,
  openArtifactStore,
} from './artifacts/index.ts'
export { RegistryClient } from './client/index.ts'
export { DEFAULT_MARGIN, GATE_METRICS, type GateReport } from './gate/index.ts'
export { type MaterializedModel, materialize } from './materialize/index.ts'
export * from './registry/index.ts'
export {
  type AliasName,
  type AuditEntry,
  type FileRef,
  type Lineage,
  openRegistryStore,
  type RegistryStore,
  type Stage,
} from './store/index.ts'
