import { readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Table } from '../detect/index.ts'
import { PREDICTION } from '../ingest/index.ts'
import { buildProfile, type ReferenceProfile } from '../profile/index.ts'
import { readCsvTable } from '../table/index.ts'

export interface Reference {
  model: string
  version: string
  profile: ReferenceProfile
  task?: 'classification' | 'regression'
}

export interface ReferenceSource {
  /** The reference of a model version, or of its newest version; undefined when there is none. */
  load(model: string, version?: string): Promise<Reference | undefined>
}

interface ModelConfigFile {
  task?: 'classification' | 'regression'
  target?: string
  features?: Record<string, string[]>
}

/**
 * Reads references from the model repository: a version's `reference.csv` (its training rows),
 * with `config.json` naming the features and the target. The target becomes the `prediction`
 * column, so predictions are watched against what the model learnt. The built profile is kept
 * beside the CSV as `profile.json` and read from there next time.
 */
export class RepositoryReferences implements ReferenceSource {
  constructor(readonly modelsDir: string) {}

  async load(model: string, version?: string): Promise<Reference | undefined> {
    const dir = join(this.modelsDir, model)
    const chosen = version ?? (await newestVersion(dir))
    if (!chosen || !/^[1-9][0-9]*$/.test(chosen)) return undefined
    const config = await readJson<ModelConfigFile>(join(dir, 'config.json'))
    const versionDir = join(dir, chosen)
    const cached = await readJson<ReferenceProfile>(join(versionDir, 'profile.json'))
    const task = config?.task
    if (cached) return { model, version: chosen, profile: cached, ...(task ? { task } : {}) }
    let table: Table
    try {
      table = await readCsvTable(join(versionDir, 'reference.csv'))
    } catch {
      return undefined
    }
    const profile = buildProfile(monitoredColumns(table, config))
    const file = join(versionDir, 'profile.json')
    await writeFile(`${file}.tmp`, JSON.stringify(profile))
    await rename(`${file}.tmp`, file)
    return { model, version: chosen, profile, ...(task ? { task } : {}) }
  }
}

/** The features the model reads, and its target under the name `prediction`. */
function monitoredColumns(table: Table, config: ModelConfigFile | undefined): Table {
  const features = Object.values(config?.features ?? {}).flat()
  const columns: Record<string, Table[string]> = {}
  for (const name of features.length ? features : Object.keys(table)) {
    if (name !== config?.target && table[name]) columns[name] = table[name]
  }
  const target = config?.target ? table[config.target] : undefined
  if (target) columns[PREDICTION] = target
  return columns
}

async function newestVersion(dir: string): Promise<string | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const versions = entries
    .filter((e) => e.isDirectory() && /^[1-9][0-9]*$/.test(e.name))
    .map((e) => Number(e.name))
  return versions.length ? String(Math.max(...versions)) : undefined
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** References given over the API, held in memory (newest version wins for a bare model name). */
export class MemoryReferences implements ReferenceSource {
  readonly #references = new Map<string, Map<string, Reference>>()

  set(reference: Reference) {
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

/** Asks each source in turn. */
export const firstOf = (...sources: ReferenceSource[]): ReferenceSource => ({
  async load(model, version) {
    for (const source of sources) {
      const found = await source.load(model, version)
      if (found) return found
    }
    return undefined
  },
})
