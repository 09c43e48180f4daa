import type { Reference, ReferenceSource } from './reference.ts'

export { type Reference, type ReferenceSource, VERSION_NUMBER } from './reference.ts'
export { isMissing, RegistryReferences, registryVersion } from './registry.ts'
export { RepositoryReferences } from './repository.ts'

/** References given over the API, held in memory (newest version wins for a bare model name). */
export class MemoryReferences implements ReferenceSource {
  readonly #references = new Map<string, Map<string, Reference>>()
  #size = 0

  /** Versions held, across models. */
  get size() {
    return this.#size
  }

  has(model: string, version: string) {
    return this.#references.get(model)?.has(version) ?? false
  }

  set(reference: Reference) {
    if (!this.has(reference.model, reference.version)) this.#size++
    const versions = this.#references.get(reference.model) ?? new Map<string, Reference>()
    versions.set(reference.version, reference)
    this.#references.set(reference.model, versions)
  }

  async load(model: string, version?: string) {
    const versions = this.#references.get(model)
    if (!versions) return undefined
    if (version) return versions.get(version)
    const newest = [...versions.keys()].sort((a, b) => Number(b) - Number(a))[0]
    return newest === undefined ? undefined : versions.get(newest)
  }
}

/** Asks each source in turn; serves what any of them serves. */
export const firstOf = (...sources: ReferenceSource[]): ReferenceSource => ({
  async load(model, version) {
    for (const source of sources) {
      const found = await source.load(model, version)
      if (found) return found
    }
    return undefined
  },
  async served() {
    const lists = await Promise.all(sources.map((source) => source.served?.() ?? []))
    return [...new Set(lists.flat())]
  },
})
