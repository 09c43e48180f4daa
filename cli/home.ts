import { readFileSync } from 'node:fs'
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

/**
 * Where a running local platform writes the tokens its local clients need (owner-only), keyed by
 * the env var each client reads: INFERA_REGISTRY_TOKEN (the operator's, for `infera models`),
 * INFERA_LABELS_TOKEN (the labeller's). New tokens on every start; removed at stop.
 */
export const localTokensFile = () => join(inferaHome(), 'credentials.json')

/** The env var's token, else the running local platform's; undefined when neither has one. */
export function localToken(variable: string): string | undefined {
  if (process.env[variable]) return process.env[variable]
  try {
    const tokens: unknown = JSON.parse(readFileSync(localTokensFile(), 'utf8'))
    const token = (tokens as Record<string, unknown>)[variable]
    return typeof token === 'string' && token ? token : undefined
  } catch {
    return undefined
  }
}

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
