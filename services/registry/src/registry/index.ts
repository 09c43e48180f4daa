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
  checkConfig,
  DEFAULT_MARGIN,
  evaluateGate,
  GateInputError,
  type GateReport,
  type GateVersion,
  ModelCheckError,
  withModel,
} from '../gate/index.ts'
import {
  type AuditEntry,
  type FileRef,
  type NewAuditEntry,
  openRegistryStore,
  type RegistryStore,
  type RegistryStoreOptions,
  type RegistryTx,
  type StoredAlias,
  type StoredGateReport,
  type StoredVersion,
} from '../store/index.ts'
import { diffVersions } from './diff.ts'
import {
  echo,
  MAX_LISTED_AUDIT,
  MAX_LISTED_VERSIONS,
  MAX_PAGE,
  MAX_VERSION,
  MODEL_NAME,
} from './limits.ts'
import { everyModel } from './pages.ts'
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
} from './types.ts'

export { diffVersions } from './diff.ts'
export { readVersionFolder, type VersionFolder } from './folder.ts'
export * from './limits.ts'
export * from './types.ts'

const conflict = (message: string, details?: Record<string, unknown>) =>
  new RegistryError(409, message, details)
const invalid = (message: string) => new RegistryError(400, message)

// Checked before any query: the database never sees a name or number it can't hold.
function checkName(name: string) {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw invalid(
      `model name ${echo(name)} must be 1–128 letters, digits, '_', '.' or '-', starting with a letter or digit`,
    )
  }
}

function checkVersion(version: number, what = 'version') {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    throw invalid(`${what} must be a whole number from 1 to ${MAX_VERSION}, not ${echo(version)}`)
  }
}

function checkLimit(limit: number | undefined) {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE)) {
    throw invalid(`limit must be a whole number from 1 to ${MAX_PAGE}, not ${echo(limit)}`)
  }
}

function checkChange({ actor, reason = '' }: Change) {
  if (actor.trim() === '' || actor.length > 200) throw invalid('actor must be 1–200 characters')
  if (reason.length > 2000) throw invalid('reason must be at most 2000 characters')
}

const viewOf = (v: StoredVersion, aliases: StoredAlias[]): VersionView => {
  const held = aliases.filter((a) => a.model === v.model && a.version === v.version)
  return {
    ...v,
    stage: held.some((a) => a.alias === 'production') ? 'production' : v.stage,
    aliases: held.map((a) => a.alias),
  }
}

const named = (name: string, version: number) => `version ${version} of ${name}`

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
    if (options.to === 'production') return this.#toProduction(name, version, options)
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

  async #toProduction(name: string, version: number, options: PromoteOptions) {
    const { force = false, margin = DEFAULT_MARGIN, canary } = options
    if (force && !options.reason?.trim()) {
      throw invalid('a forced promotion needs a reason: it skips the evaluation gate')
    }
    // The gate runs outside the transaction (it takes seconds); the transaction then checks that
    // production is still the version the candidate was compared with.
    const checkCanary = (held: StoredAlias[]) => {
      if (
        options.onlyIfCanary &&
        !held.some((a) => a.alias === 'canary' && a.version === version)
      ) {
        throw conflict(`${named(name, version)} no longer holds the canary: nothing promoted`)
      }
    }
    const aliases = await this.store.aliases(name)
    // Checked before the gate runs, and again in the transaction in case the canary moved meanwhile.
    checkCanary(aliases)
    const candidate = await promotable(this.store, name, version, aliases)
    const production = aliases.find((a) => a.alias === 'production')?.version
    if (canary && production === undefined) {
      throw conflict(
        `${name} has no production version for a canary to run beside: promote one to production first`,
      )
    }
    const reused =
      options.holdoutCsv === undefined && !force && production !== undefined
        ? await this.#passedGate(name, version, production)
        : undefined
    const report =
      reused?.report ?? (await this.#gate(name, candidate, production, options, { force, margin }))
    const result = await this.#change(
      name,
      async (tx, now) => {
        await promotable(tx, name, version, now)
        const holder = now.find((a) => a.alias === 'production')?.version
        if (holder !== production) {
          throw conflict(
            `production of ${name} moved to version ${holder} while the gate ran; promote again`,
          )
        }
        checkCanary(now)
        // Kept even when the gate refuses: the report says why.
        const stored = reused ?? (await tx.saveGateReport(name, version, report))
        if (!report.passed && !report.forced) return []
        const details = {
          gate_report: stored.id,
          gate_passed: report.passed,
          forced: force,
          ...(reused && { reused: true }),
        }
        if (canary) {
          return [
            await this.#putCanary(
              tx,
              name,
              version,
              now,
              { actor: options.actor, reason: options.reason, weight: canary.weight },
              details,
            ),
          ]
        }
        const entries = await this.#dropCanaryOf(tx, name, version, now, {
          ...options,
          reason: 'promoted to production',
        })
        await tx.putAlias({
          model: name,
          alias: 'production',
          version,
          weight: null,
          previous_version: production ?? null,
        })
        entries.push(
          await tx.appendAudit({
            ...audit(name, 'promote', options),
            version,
            alias: 'production',
            from_stage: candidate.stage,
            to_stage: 'production',
            from_version: production ?? null,
            to_version: version,
            details,
          }),
        )
        return entries
      },
      report,
    )
    if (!report.passed && !report.forced)
      throw conflict(`the gate refused: ${report.summary}`, { gate: report })
    return result
  }

  /**
   * The version's latest gate report against `production`, if it passed (a forced one did not): a
   * canary's gate already compared it with this production, so promoting it needs no new holdout.
   */
  async #passedGate(
    name: string,
    version: number,
    production: number,
  ): Promise<StoredGateReport | undefined> {
    const reports = await this.store.gateReports(name, version)
    const latest = reports.findLast((r) => r.report.production_version === production)
    return latest?.passed ? latest : undefined
  }

  async #gate(
    name: string,
    candidate: StoredVersion,
    production: number | undefined,
    options: PromoteOptions,
    { force, margin }: { force: boolean; margin: number },
  ): Promise<GateReport> {
    const unevaluated = (passed: boolean, summary: string): GateReport => ({
      model: name,
      candidate_version: candidate.version,
      production_version: production ?? null,
      task: null,
      target: null,
      margin,
      holdout: null,
      metrics: null,
      checks: [],
      passed,
      forced: force,
      summary,
      actor: options.actor,
    })
    const { holdoutCsv } = options
    if (holdoutCsv === undefined) {
      if (production === undefined) {
        return unevaluated(
          true,
          `no production version: ${named(name, candidate.version)} is the first`,
        )
      }
      if (!force) {
        throw invalid(
          `promoting to production needs a holdout CSV to score ${named(name, candidate.version)} ` +
            `against production version ${production} (or force, with a reason)`,
        )
      }
      return unevaluated(false, 'the gate was skipped (forced)')
    }
    const report = await asInvalid(async () =>
      evaluateGate({
        model: name,
        candidate: await this.#gateVersion(candidate),
        production:
          production === undefined
            ? undefined
            : await this.#gateVersion(await required(this.store, name, production)),
        holdoutCsv,
        margin,
        actor: options.actor,
      }),
    )
    return { ...report, forced: force }
  }

  async #gateVersion(v: StoredVersion): Promise<GateVersion> {
    return {
      version: v.version,
      config: v.config,
      metrics: v.metrics,
      onnx: await this.artifacts.get(v.files['model.onnx'] as FileRef),
    }
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
      const entries = await this.#dropCanaryOf(tx, name, previous, aliases, change)
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
      return [await this.#putCanary(tx, name, version, aliases, options)]
    })
  }

  /** Gives `version` the canary alias, replacing the version that held it, audited. */
  async #putCanary(
    tx: RegistryTx,
    name: string,
    version: number,
    aliases: StoredAlias[],
    options: AliasOptions,
    details: Record<string, unknown> = {},
  ): Promise<AuditEntry> {
    const current = aliases.find((a) => a.alias === 'canary')
    await tx.putAlias({
      model: name,
      alias: 'canary',
      version,
      weight: options.weight,
      previous_version: current?.version ?? null,
    })
    return tx.appendAudit({
      ...audit(name, 'set_alias', options),
      version,
      alias: 'canary',
      from_version: current?.version ?? null,
      to_version: version,
      details: { ...details, weight: options.weight },
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
      return this.#dropCanaryOf(tx, name, current.version, aliases, change)
    })
  }

  /** Removes the canary alias if `version` holds it, audited; production and canary never meet. */
  async #dropCanaryOf(
    tx: RegistryTx,
    name: string,
    version: number,
    aliases: StoredAlias[],
    change: Change,
  ): Promise<AuditEntry[]> {
    if (aliases.find((a) => a.alias === 'canary')?.version !== version) return []
    await tx.removeAlias(name, 'canary')
    return [
      await tx.appendAudit({
        ...audit(name, 'remove_alias', change),
        version,
        alias: 'canary',
        from_version: version,
      }),
    ]
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

function audit(model: string, action: NewAuditEntry['action'], change: Change): NewAuditEntry {
  return { model, action, actor: change.actor, reason: change.reason ?? '' }
}

/** Runs `work`, turning a model or holdout the gate can't use into a 400 that names it. */
async function asInvalid<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof ModelCheckError || error instanceof GateInputError) {
      throw invalid(error.message)
    }
    throw error
  }
}

async function required(
  reads: Pick<RegistryStore, 'version'>,
  name: string,
  version: number,
): Promise<StoredVersion> {
  const v = await reads.version(name, version)
  if (!v) throw new RegistryError(404, `no ${named(name, version)}`)
  return v
}

/** The version, if it may take a stage or alias: not archived, not production already. */
async function promotable(
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
