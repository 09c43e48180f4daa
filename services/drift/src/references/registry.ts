import { type ModelRegistry, RegistryError } from '../../../registry/src/types.ts'
import { parseCsvTable } from '../table/index.ts'
import {
  type Reference,
  type ReferenceConfig,
  type ReferenceSource,
  referenceProfile,
  toReference,
  VERSION_NUMBER,
} from './reference.ts'

/** Whether the registry answered that the model, version or file doesn't exist. */
export const isMissing = (error: unknown) => error instanceof RegistryError && error.status === 404

/**
 * A registered version's `config.json` and training rows (`reference.csv`). A version that isn't a
 * number is missing as any other would be: a 404 RegistryError.
 */
export async function registryVersion(registry: ModelRegistry, model: string, version: string) {
  if (!VERSION_NUMBER.test(version)) {
    throw new RegistryError(404, `no version '${version}' of ${model}`)
  }
  const number = Number(version)
  const [detail, reference] = await Promise.all([
    registry.version(model, number),
    registry.file(model, number, 'reference.csv'),
  ])
  return { config: detail.config, referenceCsv: new TextDecoder().decode(reference) }
}

/**
 * Reads references from the model registry: each version's own `reference.csv` and `config.json`,
 * so a canary is watched against what it was trained on, not production's data. Without a version,
 * the one holding `production`. Profiles are built once per version (versions never change) and
 * kept in memory.
 */
export class RegistryReferences implements ReferenceSource {
  readonly #references = new Map<string, Promise<Reference | undefined>>()

  constructor(readonly registry: ModelRegistry) {}

  async load(model: string, version?: string): Promise<Reference | undefined> {
    const chosen = version ?? (await this.#production(model))
    if (chosen === undefined) return undefined
    const key = `${model}\u0000${chosen}`
    let reference = this.#references.get(key)
    if (!reference) {
      reference = this.#read(model, chosen)
      this.#references.set(key, reference)
      // Only what was found is kept: a failed read is tried again, a missing version may be
      // registered later.
      const forget = () => this.#references.delete(key)
      reference.then((found) => {
        if (!found) forget()
      }, forget)
    }
    return reference
  }

  /** The models with a production version. */
  async served(): Promise<string[]> {
    return (await this.registry.list()).filter((m) => m.aliases.production).map((m) => m.name)
  }

  async #production(model: string): Promise<string | undefined> {
    try {
      return (await this.registry.show(model)).aliases.production?.version.toString()
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  async #read(model: string, version: string): Promise<Reference | undefined> {
    let found: Awaited<ReturnType<typeof registryVersion>>
    try {
      found = await registryVersion(this.registry, model, version)
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
    const config = found.config as ReferenceConfig
    const table = parseCsvTable(
      found.referenceCsv,
      `reference.csv of version ${version} of ${model}`,
    )
    return toReference(model, version, referenceProfile(table, config), config)
  }
}
