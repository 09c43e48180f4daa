/**
 * The registry as a Triton-style model repository: for each model with a production version, the
 * folders of the versions holding its aliases (production, and the canary), with the files the
 * artifact store verified. The inference service polls such a folder; writing it is how serving
 * follows the registry.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import type { AliasName } from '../store/index.ts'
import type { ModelRegistry, ModelView, VersionView } from '../types.ts'
import { sha256, writeAtomically } from './files.ts'

export interface MaterializedModel {
  name: string
  /** The versions in the model's folder, and the alias each holds. */
  versions: { version: number; alias: AliasName }[]
  /** Version folders created or with a file replaced; version folders removed. */
  written: number[]
  removed: number[]
  /** Versions holding no alias left in place because `keep` named them. */
  kept: number[]
  /** Alias holders left out, and why. */
  skipped: { version: number; alias: AliasName; reason: string }[]
  /** Why the model's folder could not be brought up to date (an artifact failed verification). */
  error?: string
}

export interface MaterializeOptions {
  /**
   * Versions to leave served by model, though they hold no alias: those whose folder is there
   * already (none is written for this) and whose config.json is production's.
   */
  keep?: Record<string, number[]>
  /**
   * The only models to write, by exact name (all without it); the others' folders are left alone,
   * as any folder the registry doesn't know is. So model groups can share one registry, each
   * serving its own models.
   */
  models?: readonly string[]
}

const VERSION_DIR = /^[1-9][0-9]*$/
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

/**
 * Makes `repoDir/<model>` hold exactly the alias holders of every model that has a production
 * version (of those `models` names, when given), and the versions `keep` names; other folders are
 * left alone. New versions appear whole, files are replaced atomically and nothing unchanged is
 * rewritten, so a polling server reloads only what changed — and, as it loads a new version before
 * it unloads an old one, never fails a request on the way. A model that fails (an artifact that
 * does not verify) keeps its folder as it was, but for versions completed before, and says why in
 * `error`.
 */
export async function materialize(
  registry: Pick<ModelRegistry, 'list' | 'file'>,
  repoDir: string,
  { keep = {}, models: only }: MaterializeOptions = {},
): Promise<MaterializedModel[]> {
  const names = only && new Set(only)
  const models = (await registry.list()).filter(
    (m) => m.aliases.production && (!names || names.has(m.name)),
  )
  const results: MaterializedModel[] = []
  for (const model of models) {
    // One model's broken artifact must not keep the others from following the registry.
    results.push(
      await materializeModel(registry, repoDir, model, keep[model.name] ?? []).catch(
        (error: Error) => ({
          name: model.name,
          versions: [],
          written: [],
          removed: [],
          kept: [],
          skipped: [],
          error: error.message,
        }),
      ),
    )
  }
  return results
}

async function materializeModel(
  registry: Pick<ModelRegistry, 'file'>,
  repoDir: string,
  model: ModelView,
  keep: number[],
): Promise<MaterializedModel> {
  const byNumber = new Map(model.versions.map((v) => [v.version, v]))
  const production = byNumber.get(model.aliases.production?.version as number) as VersionView
  const result: MaterializedModel = {
    name: model.name,
    versions: [{ version: production.version, alias: 'production' }],
    written: [],
    removed: [],
    kept: [],
    skipped: [],
  }
  const canary = model.aliases.canary && byNumber.get(model.aliases.canary.version)
  if (canary) {
    // One config.json serves all of a model's versions: a canary configured otherwise would be
    // served with production's settings, or not load.
    if (servedAlike(canary, production)) {
      result.versions.push({ version: canary.version, alias: 'canary' })
    } else {
      result.skipped.push({
        version: canary.version,
        alias: 'canary',
        reason: `its config.json differs from production version ${production.version}'s`,
      })
    }
  }

  const modelDir = join(repoDir, model.name)
  await mkdir(modelDir, { recursive: true })
  for (const version of new Set(keep)) {
    const v = byNumber.get(version)
    if (
      v &&
      !result.versions.some((held) => held.version === version) &&
      servedAlike(v, production) &&
      (await isDirectory(join(modelDir, String(version))))
    ) {
      result.kept.push(version)
    }
  }
  result.kept.sort((a, b) => a - b)
  for (const { version } of result.versions) {
    if (await writeVersion(registry, modelDir, byNumber.get(version) as VersionView)) {
      result.written.push(version)
    }
  }
  const wanted = [...result.versions.map((v) => v.version), ...result.kept].sort((a, b) => a - b)
  // Only the versions written or kept are served, whatever the registered config's policy says.
  const config = { ...production.config, version_policy: { specific: { versions: wanted } } }
  await writeIfChanged(join(modelDir, 'config.json'), json(config))
  for (const entry of await readdir(modelDir, { withFileTypes: true })) {
    if (
      entry.isDirectory() &&
      VERSION_DIR.test(entry.name) &&
      !wanted.includes(Number(entry.name))
    ) {
      await rm(join(modelDir, entry.name), { recursive: true, force: true })
      result.removed.push(Number(entry.name))
    }
  }
  result.removed.sort((a, b) => a - b)
  return result
}

/** Whether two versions have the same config.json, their version policies aside. */
const servedAlike = (a: VersionView, b: VersionView) =>
  isDeepStrictEqual(
    { ...a.config, version_policy: undefined },
    { ...b.config, version_policy: undefined },
  )

const isDirectory = async (path: string) =>
  (await stat(path).catch(() => undefined))?.isDirectory() ?? false

/** Writes what differs of a version's files; true if anything was written. */
async function writeVersion(
  registry: Pick<ModelRegistry, 'file'>,
  modelDir: string,
  v: VersionView,
): Promise<boolean> {
  const dir = join(modelDir, String(v.version))
  const exists = await isDirectory(dir)
  // A new version is written aside and renamed into place: it appears with all its files.
  const target = exists ? dir : join(modelDir, `.registry-${randomUUID()}`)
  await mkdir(target, { recursive: true })
  let written = false
  try {
    for (const [name, ref] of Object.entries(v.files)) {
      const current = await readFile(join(target, name)).catch(() => undefined)
      if (current && current.byteLength === ref.size && sha256(current) === ref.sha256) continue
      await writeAtomically(join(target, name), await registry.file(v.model, v.version, name))
      written = true
    }
    if (v.metrics)
      written = (await writeIfChanged(join(target, 'metrics.json'), json(v.metrics))) || written
    if (!exists) await rename(target, dir)
  } finally {
    if (!exists) await rm(target, { recursive: true, force: true })
  }
  return written
}

async function writeIfChanged(path: string, text: string): Promise<boolean> {
  if ((await readFile(path, 'utf8').catch(() => undefined)) === text) return false
  await writeAtomically(path, text)
  return true
}
