/** The registry's refusals and the checks every operation makes before it touches the store. */
import { echo, MAX_PAGE, MAX_VERSION, MODEL_NAME } from '../client/limits.ts'
import { GateInputError, ModelCheckError } from '../gate/index.ts'
import type { RegistryStore, StoredAlias, StoredVersion } from '../store/index.ts'
import { type Change, RegistryError } from '../types.ts'

export const conflict = (message: string, details?: Record<string, unknown>) =>
  new RegistryError(409, message, details)
export const invalid = (message: string) => new RegistryError(400, message)

// Checked before any query: the database never sees a name or number it can't hold.
export function checkName(name: string) {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw invalid(
      `model name ${echo(name)} must be 1–128 letters, digits, '_', '.' or '-', starting with a letter or digit`,
    )
  }
}

export function checkVersion(version: number, what = 'version') {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    throw invalid(`${what} must be a whole number from 1 to ${MAX_VERSION}, not ${echo(version)}`)
  }
}

export function checkLimit(limit: number | undefined) {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE)) {
    throw invalid(`limit must be a whole number from 1 to ${MAX_PAGE}, not ${echo(limit)}`)
  }
}

export function checkChange({ actor, reason = '' }: Change) {
  if (actor.trim() === '' || actor.length > 200) throw invalid('actor must be 1–200 characters')
  if (reason.length > 2000) throw invalid('reason must be at most 2000 characters')
}

export const named = (name: string, version: number) => `version ${version} of ${name}`

/** Runs `work`, turning a model or holdout the gate can't use into a 400 that names it. */
export async function asInvalid<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof ModelCheckError || error instanceof GateInputError) {
      throw invalid(error.message)
    }
    throw error
  }
}

export async function required(
  reads: Pick<RegistryStore, 'version'>,
  name: string,
  version: number,
): Promise<StoredVersion> {
  const v = await reads.version(name, version)
  if (!v) throw new RegistryError(404, `no ${named(name, version)}`)
  return v
}

/** The version, if it may take a stage or alias: not archived, not production already. */
export async function promotable(
  reads: Pick<RegistryStore, 'version'>,
  name: string,
  version: number,
  aliases: StoredAlias[],
): Promise<StoredVersion> {
  const v = await required(reads, name, version)
  if (v.stage === 'archived') {
    throw conflict(`${named(name, version)} is archived: an archived version can't be promoted`)
  }
  if (aliases.some((a) => a.alias === 'production' && a.version === version)) {
    throw conflict(`${named(name, version)} already holds production`)
  }
  return v
}
