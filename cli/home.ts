import { join, resolve } from 'node:path'
import type { RegistryOptions } from '../services/registry/src/index.ts'

/** Embedded state lives under INFERA_HOME (default `.infera/`), so platforms can run side by side. */
export const inferaHome = () => resolve(process.env.INFERA_HOME ?? '.infera')
export const defaultModelsDir = () => join(inferaHome(), 'models')
export const defaultCaptureDir = () => join(inferaHome(), 'capture')
/** The registry's PGlite database (`db/`) and artifacts (`artifacts/`). */
export const defaultRegistryDir = () => join(inferaHome(), 'registry')
/**
 * Where a running local platform writes its registry's URL: the embedded database is locked while
 * it runs, so `infera models` goes through the service instead.
 */
export const registryUrlFile = () => join(defaultRegistryDir(), 'service-url')

/** Embedded under INFERA_HOME unless DATABASE_URL or INFERA_ARTIFACTS_S3 say otherwise. */
export function embeddedRegistryOptions(): RegistryOptions {
  const { DATABASE_URL, INFERA_ARTIFACTS_S3, AWS_ENDPOINT_URL } = process.env
  const home = defaultRegistryDir()
  return {
    databaseUrl: DATABASE_URL || undefined,
    dataDir: join(home, 'db'),
    dir: join(home, 'artifacts'),
    s3: INFERA_ARTIFACTS_S3 || undefined,
    endpoint: AWS_ENDPOINT_URL || undefined,
  }
}
