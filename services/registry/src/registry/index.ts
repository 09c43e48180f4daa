/**
 * The model registry: versions with their files, config, metrics and lineage; stages and aliases;
 * promotion through the evaluation gate, rollback, archiving; every transition audited.
 */
import {
  type ArtifactStore,
  type ArtifactStoreOptions,
  openArtifactStore,
} from '../artifacts/index.ts'
import {
  echo,
  MAX_LISTED_AUDIT,
  MAX_LISTED_VERSIONS,
  MAX_PAGE,
  MAX_VERSION,
} from '../client/limits.ts'
import { everyModel } from '../client/pages.ts'
import { checkConfig, type GateReport, withModel } from '../gate/index.ts'
import {
  type AuditEntry,
  type FileRef,
  openRegistryStore,
  type RegistryStore,
  type RegistryStoreOptions,
  type RegistryTx,
  type StoredAlias,
  type StoredVersion,
} from '../store/index.ts'
import {
  type AliasOptions,
  type AliasRemoval,
  type AuditPage,
  type AuditPageOptions,
  type Change,
  type ModelPage,
  type ModelRegistry,
  type ModelView,
  type PageOptions,
  type PromoteOptions,
  type RegisterInput,
  RegistryError,
  type TransitionResult,
  type VersionDetail,
  type VersionDiff,
  type VersionView,
} from '../types.ts'
import { audit, dropCanaryOf, putCanary } from './changes.ts'
import {
  asInvalid,
  checkChange,
  checkLimit,
  checkName,
  checkVersion,
  conflict,
  invalid,
  named,
  promotable,
  required,
} from './checks.ts'
import { diffVersions } from './diff.ts'
import { toProduction } from './promotion.ts'

export * from '../client/limits.ts'
export * from '../types.ts'
export { diffVersions } from './diff.ts'
export { readVersionFolder, type VersionFolder } from './folder.ts'

const viewOf = (v: StoredVersion, aliases: StoredAlias[]): VersionView => {
  const held = aliases.filter((a) => a.model === v.model && a.version === v.version)
  return {
    ...v,
    stage: held.some((a) => a.alias === 'production') ? 'production' : v.stage,
    aliases: held.map((a) => a.alias),
  }
}

export interface RegistryHooks {
  /** Told of the audit entries of every change once it is committed: metrics count them. */
  onAudit?: (entries: AuditEntry[]) => void
}

export class Registry implements ModelRegistry {
  readonly #onAudit: (entries: AuditEntry[]) => void

  constructor(
    readonly store: RegistryStore,
    readonly artifacts: ArtifactStore,
    { onAudit = () => {} }: RegistryHooks = {},
  ) {
    this.#onAudit = onAudit
  }

  async register(input: RegisterInput): Promise<VersionDetail> {
    checkName(input.name)
    checkChange(input)
    if (input.version !== undefined) checkVersion(input.version)
    const stage = input.stage ?? 'candidate'
    if (stage !== 'candidate' && stage !== 'staging') {
      throw invalid(`a version is registered as candidate or staging, not ${stage}`)
    }
    const onnx = input.files['model.onnx']
    if (!(onnx instanceof Uint8Array) || onnx.byteLength === 0) {
      throw invalid('model.onnx is required and must not be empty')
    }
    await asInvalid(() => checkConfig(input.config))
    // Stored before the metadata that names them: an object without a version is harmless, a
    // version without its object is not.
    const files: Record<string, FileRef> = {}
    for (const [name, bytes] of Object.entries(input.files)) {
      if (bytes) files[name] = await this.artifacts.put(bytes)
    }
    const entry = await this.store.transaction(async (tx) => {
      await tx.lockModel(input.name, { create: true })
      const version = input.version ?? (await tx.nextVersion(input.name))
      if (version > MAX_VERSION) {
        throw conflict(
          `${input.name} has used the last version number (${MAX_VERSION}): register it under a new name`,
        )
      }
      if (await tx.version(input.name, version)) {
        throw conflict(`${named(input.name, version)} already exists; versions are immutable`)
      }
      // Refused now rather than at serving time: config.json must describe this graph.
      await asInvalid(() =>
        withModel({ name: input.name, version, onnx, config: input.config }, async () => {}),
      )
      await tx.insertVersion({
        model: input.name,
        version,
        stage,
        files,
        config: input.config,
        metrics: input.metrics ?? null,
        lineage: {
          data_location: input.lineage?.data_location ?? null,
          code_version: input.lineage?.code_version ?? null,
          training_job: input.lineage?.training_job ?? null,
        },
        created_by: input.actor,
      })
      return tx.appendAudit({
        ...audit(input.name, 'register', input),
        version,
        to_stage: stage,
        details: {
          files: Object.fromEntries(Object.entries(files).map(([n, f]) => [n, f.sha256])),
        },
      })
    })
    this.#onAudit([entry])
    return this.version(input.name, entry.version as number)
  }

  list(): Promise<ModelView[]> {
    return everyModel((page) => this.listPage(page))
  }

  async listPage({ after, limit = MAX_PAGE }: PageOptions = {}): Promise<ModelPage> {
    checkLimit(limit)
    if (after !== undefined) checkName(after)
    // One more than asked for says whether there is a next page.
    const names = await this.store.modelNames({ after, limit: limit + 1 })
    const page = names.slice(0, limit)
    const views = await Promise.all(page.map((name) => this.#view(name)))
    return {
      models: views.filter((view) => view !== undefined),
      next: names.length > limit ? (page.at(-1) ?? null) : null,
    }
  }

  async show(name: string): Promise<ModelView> {
    checkName(name)
    const view = await this.#view(name)
    if (!view) throw new RegistryError(404, `no model named '${name}'`)
    return view
  }

  /** The model's newest versions and audit entries, with every version an alias names. */
  async #view(name: string): Promise<ModelView | undefined> {
    const [versions, aliases, entries, totals] = await Promise.all([
      this.store.versions(name, { newest: MAX_LISTED_VERSIONS }),
      this.store.aliases(name),
      this.store.audit(name, { limit: MAX_LISTED_AUDIT }),
      this.store.totals(name),
    ])
    if (totals.versions === 0) return undefined
    const listed = new Set(versions.map((v) => v.version))
    const held = aliases
      .flatMap((a) => [a.version, a.previous_version])
      .filter((v): v is number => v !== null && !listed.has(v))
    for (const v of new Set(held)) {
      const stored = await this.store.version(name, v)
      if (stored) versions.push(stored)
    }
    versions.sort((a, b) => a.version - b.version)
    return {
      name,
      aliases: Object.fromEntries(
        aliases.map(({ alias, version, weight, previous_version, updated_at }) => [
          alias,
          { version, weight, previous_version, updated_at },
        ]),
      ),
      versions: versions.map((v) => viewOf(v, aliases)),
      versions_total: totals.versions,
      audit: entries,
      audit_total: totals.audit,
    }
  }

  async audit(name: string, { before, limit = MAX_PAGE }: AuditPageOptions = {}) {
    checkName(name)
    checkLimit(limit)
    if (before !== undefined && !(Number.isInteger(before) && before >= 1 && before <= 2 ** 31 - 1))
      throw invalid(`before must be an audit entry's id, not ${echo(before)}`)
    const [entries, totals] = await Promise.all([
      this.store.audit(name, { before, limit: limit + 1 }),
      this.store.totals(name),
    ])
    if (totals.versions === 0) throw new RegistryError(404, `no model named '${name}'`)
    // The newest `limit` of them: the one more fetched (the oldest) says there is an older page.
    const page = entries.slice(entries.length > limit ? 1 : 0)
    const next = entries.length > limit ? (page[0]?.id ?? null) : null
    return { audit: page, total: totals.audit, next } satisfies AuditPage
  }

  async version(name: string, version: number): Promise<VersionDetail> {
    checkName(name)
    checkVersion(version)
    const [stored, aliases, reports] = await Promise.all([
      this.store.version(name, version),
      this.store.aliases(name),
      this.store.gateReports(name, version),
    ])
    if (!stored) throw new RegistryError(404, `no ${named(name, version)}`)
    return { ...viewOf(stored, aliases), gate_reports: reports }
  }

  async promote(name: string, version: number, options: PromoteOptions) {
    checkName(name)
    checkVersion(version)
    checkChange(options)
    if (options.canary !== undefined) {
      if (options.to !== 'production') {
        throw invalid(`canary is a way to promote to production, not to ${options.to}`)
      }
      const { weight } = options.canary
      if (!(weight > 0 && weight < 100)) {
        throw invalid(`canary.weight is a percentage above 0 and below 100, not ${weight}`)
      }
    }
    if (options.to === 'staging') return this.#toStaging(name, version, options)
    if (options.to === 'production') {
      const sources = { store: this.store, artifacts: this.artifacts }
      return toProduction({ ...sources, change: this.#change.bind(this) }, name, version, options)
    }
    throw invalid(`a version is promoted to production or staging, not ${options.to}`)
  }

  async #toStaging(name: string, version: number, change: Change) {
    return this.#change(name, async (tx, aliases) => {
      const v = await promotable(tx, name, version, aliases)
      if (v.stage === 'staging') throw conflict(`${named(name, version)} is already in staging`)
      await tx.setStage(name, version, 'staging')
      return [
        await tx.appendAudit({
          ...audit(name, 'promote', change),
          version,
          from_stage: v.stage,
          to_stage: 'staging',
        }),
      ]
    })
  }

  async rollback(name: string, change: Change) {
    checkName(name)
    checkChange(change)
    return this.#change(name, async (tx, aliases) => {
      const production = aliases.find((a) => a.alias === 'production')
      if (!production) throw conflict(`${name} has no production version to roll back`)
      const previous = production.previous_version
      if (previous === null) {
        throw conflict(
          `no version held production of ${name} before version ${production.version}: nothing to roll back to`,
        )
      }
      const target = await required(tx, name, previous)
      if (target.stage === 'archived') {
        throw conflict(`${named(name, previous)}, production before, has been archived since`)
      }
      const entries = await dropCanaryOf(tx, name, previous, aliases, change)
      await tx.putAlias({
        model: name,
        alias: 'production',
        version: previous,
        weight: null,
        previous_version: null,
      })
      entries.push(
        await tx.appendAudit({
          ...audit(name, 'rollback', change),
          version: previous,
          alias: 'production',
          from_version: production.version,
          to_version: previous,
        }),
      )
      return entries
    })
  }

  async archive(name: string, version: number, change: Change) {
    checkName(name)
    checkVersion(version)
    checkChange(change)
    return this.#change(name, async (tx, aliases) => {
      const v = await required(tx, name, version)
      if (v.stage === 'archived') throw conflict(`${named(name, version)} is already archived`)
      const held = aliases.find((a) => a.version === version)
      if (held) {
        throw conflict(
          `${named(name, version)} holds the ${held.alias} alias: ` +
            (held.alias === 'production'
              ? 'promote another version or roll back first'
              : 'remove the alias first'),
        )
      }
      await tx.setStage(name, version, 'archived')
      return [
        await tx.appendAudit({
          ...audit(name, 'archive', change),
          version,
          from_stage: v.stage,
          to_stage: 'archived',
        }),
      ]
    })
  }

  async setAlias(name: string, alias: 'canary', version: number, options: AliasOptions) {
    checkName(name)
    checkVersion(version)
    checkChange(options)
    if (alias !== 'canary') throw invalid(`only the canary alias is set directly, not ${alias}`)
    if (!(options.weight >= 0 && options.weight <= 100)) {
      throw invalid(`the canary's weight is a percentage from 0 to 100, not ${options.weight}`)
    }
    return this.#change(name, async (tx, aliases) => {
      await promotable(tx, name, version, aliases)
      return [await putCanary(tx, name, version, aliases, options)]
    })
  }

  async removeAlias(name: string, alias: 'canary', change: AliasRemoval) {
    checkName(name)
    if (change.version !== undefined) checkVersion(change.version)
    checkChange(change)
    return this.#change(name, async (tx, aliases) => {
      const current = aliases.find((a) => a.alias === alias)
      if (!current) throw conflict(`${name} has no ${alias} alias`)
      if (change.version !== undefined && change.version !== current.version) {
        throw conflict(
          `the ${alias} of ${name} is version ${current.version} now, not ${change.version}: nothing removed`,
        )
      }
      return dropCanaryOf(tx, name, current.version, aliases, change)
    })
  }

  async diff(name: string, from: number, to: number): Promise<VersionDiff> {
    checkVersion(from, 'from')
    checkVersion(to, 'to')
    const [a, b] = await Promise.all([this.version(name, from), this.version(name, to)])
    return diffVersions(a, b)
  }

  async file(name: string, version: number, file: string): Promise<Uint8Array> {
    checkName(name)
    checkVersion(version)
    const v = await required(this.store, name, version)
    const ref = Object.hasOwn(v.files, file) ? v.files[file] : undefined
    if (!ref) {
      throw new RegistryError(
        404,
        `${named(name, version)} has no file ${echo(file)}; it has ${Object.keys(v.files).join(', ')}`,
      )
    }
    return this.artifacts.get(ref)
  }

  /**
   * One change to a model, in a transaction that holds the model's row lock: `work` sees the
   * aliases as they are now and returns the audit entries it wrote.
   */
  async #change(
    name: string,
    work: (tx: RegistryTx, aliases: StoredAlias[]) => Promise<AuditEntry[]>,
    gate: GateReport | null = null,
  ): Promise<TransitionResult> {
    const entries = await this.store.transaction(async (tx) => {
      if (!(await tx.lockModel(name))) throw new RegistryError(404, `no model named '${name}'`)
      return work(tx, await tx.aliases(name))
    })
    this.#onAudit(entries)
    return { model: name, audit: entries, gate }
  }

  async close() {
    this.artifacts.close()
    await this.store.close()
  }
}

export interface RegistryOptions
  extends RegistryStoreOptions,
    ArtifactStoreOptions,
    RegistryHooks {}

/** Opens the metadata store and the artifact store: a registry in process. */
export async function openRegistry(options: RegistryOptions): Promise<Registry> {
  const artifacts = await openArtifactStore(options)
  const store = await openRegistryStore(options).catch((error) => {
    artifacts.close()
    throw error
  })
  return new Registry(store, artifacts, options)
}
