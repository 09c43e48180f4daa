import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import type { RegistryOptions } from '../services/registry/src/index.ts'

/**
 * Embedded state lives under INFERA_HOME, by default `~/.infera`: per user, not per directory, so
 * `infera models` finds the platform `npm start` runs whichever directory it is called from.
 * Another INFERA_HOME runs another platform beside it.
 */
export const inferaHome = () => resolve(process.env.INFERA_HOME || join(homedir(), '.infera'))
export const defaultModelsDir = () => join(inferaHome(), 'models')
export const defaultCaptureDir = () => join(inferaHome(), 'capture')
/** The registry's PGlite database (`db/`) and artifacts (`artifacts/`). */
export const defaultRegistryDir = () => join(inferaHome(), 'registry')

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

/** Where a running `infera start` says where its services listen, for the CLI to find them. */
export const platformFile = () => join(inferaHome(), 'platform.json')

const PlatformRecord = z.object({
  pid: z.number().int().positive(),
  started_at: z.string(),
  urls: z.object({
    gateway: z.url(),
    inference: z.url(),
    drift: z.url(),
    registry: z.url(),
  }),
})
export type RunningPlatform = z.infer<typeof PlatformRecord>
export type PlatformUrls = RunningPlatform['urls']

/** Records this process as the platform running under INFERA_HOME (replacing the file atomically). */
export function writePlatformFile(urls: PlatformUrls): RunningPlatform {
  const record: RunningPlatform = { pid: process.pid, started_at: new Date().toISOString(), urls }
  const file = platformFile()
  mkdirSync(inferaHome(), { recursive: true })
  // Written aside then renamed: a reader never sees half a file.
  const partial = `${file}.${process.pid}.tmp`
  writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`)
  renameSync(partial, file)
  return record
}

/** Removes the platform file if this process wrote it: a second start that failed leaves the first's. */
export function removePlatformFile() {
  if (readPlatformFile()?.pid === process.pid) rmSync(platformFile(), { force: true })
}

/**
 * The platform running under INFERA_HOME, if any: a file whose process is gone (killed, crashed) is
 * stale and ignored.
 */
export function runningPlatform(): RunningPlatform | undefined {
  const record = readPlatformFile()
  return record && isAlive(record.pid) ? record : undefined
}

function readPlatformFile(): RunningPlatform | undefined {
  try {
    return PlatformRecord.parse(JSON.parse(readFileSync(platformFile(), 'utf8')))
  } catch {
    // Missing, half-written by hand or from another version: no platform to talk to.
    return undefined
  }
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
