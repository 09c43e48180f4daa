import { readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Table } from '../detect/index.ts'
import type { ReferenceProfile } from '../profile/index.ts'
import { readCsvTable } from '../table/index.ts'
import {
  type Reference,
  type ReferenceConfig,
  type ReferenceSource,
  referenceProfile,
  toReference,
  VERSION_NUMBER,
} from './reference.ts'

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
    if (!chosen || !VERSION_NUMBER.test(chosen)) return undefined
    const config = await readJson<ReferenceConfig>(join(dir, 'config.json'))
    const versionDir = join(dir, chosen)
    const cached = await readJson<ReferenceProfile>(join(versionDir, 'profile.json'))
    if (cached) return toReference(model, chosen, cached, config)
    let table: Table
    try {
      table = await readCsvTable(join(versionDir, 'reference.csv'))
    } catch {
      return undefined
    }
    const profile = referenceProfile(table, config)
    const file = join(versionDir, 'profile.json')
    await writeFile(`${file}.tmp`, JSON.stringify(profile))
    await rename(`${file}.tmp`, file)
    return toReference(model, chosen, profile, config)
  }
}

async function newestVersion(dir: string): Promise<string | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const versions = entries
    .filter((e) => e.isDirectory() && VERSION_NUMBER.test(e.name))
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
