/**
 * Serving that follows the model registry: each sync writes the versions holding a model's
 * aliases into the model repository the server loads. A version that loses its alias keeps
 * serving while it drains: the gateway switches its routes only once the new version is ready, so
 * requests may still come to the old one for a while.
 */
import { mkdir } from 'node:fs/promises'
import type { Logger } from 'pino'
// The module alone: following the registry needs none of the registry service's code.
import { type MaterializedModel, materialize } from '../../../registry/src/client/index.ts'
import type { ModelRegistry } from '../../../registry/src/types.ts'
import { Poller } from '../../../shared/poll/index.ts'
import type { InferenceMetrics } from '../metrics/index.ts'
import type { ModelRepository, VersionStatus } from '../repository/index.ts'

export interface RegistryFollowerOptions {
  registry: Pick<ModelRegistry, 'list' | 'file'>
  /** The model repository the server loads; the follower writes into it. */
  modelsDir: string
  /**
   * The only models to follow, by exact name (every model the registry has in production without
   * it): model groups sharing a registry each serve their own. Other folders are left alone.
   */
  models?: readonly string[]
  /** From the end of one sync to the start of the next (5000). */
  intervalMs?: number
  /** How long a version that lost its alias goes on serving (30000). */
  drainMs?: number
  logger: Logger
  metrics?: Pick<InferenceMetrics, 'registrySyncs' | 'registryServedVersion'>
  /**
   * The repository the server loads from `modelsDir`: after each sync the followed models are
   * loaded at once (unloaded ones too: the registry says what serves), and a version that lost its
   * alias is kept until the versions holding the aliases are ready.
   */
  repository?: Pick<ModelRepository, 'reload' | 'index'>
}

interface FollowedModel {
  /** The versions in the model's folder after the last sync that brought it up to date. */
  served: number[]
  /** When each version kept without an alias stops being kept. */
  drainUntil: Map<number, number>
  /** Alias holders the repository has not got ready, with why: until they are, nothing drains. */
  notReady: string[]
}

const ALIASES = ['production', 'canary'] as const

export class RegistryFollower {
  readonly #options: RegistryFollowerOptions
  readonly #drainMs: number
  #models = new Map<string, FollowedModel>()
  readonly #poller: Poller
  /** Syncs run one after another, whether the timer or a caller asks. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(options: RegistryFollowerOptions) {
    this.#options = options
    this.#drainMs = options.drainMs ?? 30_000
    this.#poller = new Poller(() => this.sync(), {
      intervalMs: options.intervalMs ?? 5000,
      onError: (error) =>
        options.logger.error({ err: error }, 'registry sync failed; serving what was there'),
    })
  }

  /**
   * One pass: the alias holders, and the versions still draining, written into the models folder.
   * Rejects when the registry can't be read; a model that could not be brought up to date keeps
   * what it served and says why in its result's `error`.
   */
  sync(): Promise<MaterializedModel[]> {
    const pass = this.#queue.then(() => this.#sync())
    this.#queue = pass.catch(() => undefined)
    return pass
  }

  /** Syncs every `intervalMs`, the first time `intervalMs` from now. */
  start() {
    this.#poller.start()
  }

  /** Stops following; resolves once a sync under way, the loop's or a caller's, has finished. */
  async stop() {
    await this.#poller.stop()
    await this.#queue
  }

  async #sync(): Promise<MaterializedModel[]> {
    const { registry, modelsDir, models: only, metrics, repository } = this.#options
    const started = Date.now()
    let result: 'ok' | 'error' = 'error'
    try {
      // The server reads the folder even while the registry has no model in production.
      await mkdir(modelsDir, { recursive: true })
      const models = await materialize(registry, modelsDir, {
        keep: this.#keep(started),
        models: only,
      })
      await repository?.reload(models.map((m) => m.name))
      const index = repository?.index()
      this.#models = new Map(
        models.map((model) => [model.name, this.#follow(model, started, index)]),
      )
      if (!models.some((m) => m.error)) result = 'ok'
      return models
    } finally {
      metrics?.registrySyncs.inc({ follower: 'inference', result })
    }
  }

  /**
   * What each model serves but the versions whose drain is over: a version that lost its alias
   * since the last sync is kept by the sync that finds it gone, which starts its drain.
   */
  #keep(now: number): Record<string, number[]> {
    return Object.fromEntries(
      [...this.#models].map(([name, { served, drainUntil, notReady }]) => [
        name,
        served.filter(
          (version) =>
            notReady.length > 0 || (drainUntil.get(version) ?? Number.POSITIVE_INFINITY) > now,
        ),
      ]),
    )
  }

  #follow(
    model: MaterializedModel,
    started: number,
    index: VersionStatus[] | undefined,
  ): FollowedModel {
    const { logger, metrics } = this.#options
    const before = this.#models.get(model.name)
    if (model.error) {
      logger.error(
        { model: model.name, error: model.error },
        'model not updated from the registry; serving what was there',
      )
      return before ?? { served: [], drainUntil: new Map(), notReady: [] }
    }
    for (const { version, alias, reason } of model.skipped) {
      logger.warn({ model: model.name, version, alias }, `${alias} version left out: ${reason}`)
    }
    const notReady = model.versions.flatMap(({ version, alias }) => {
      const status = index?.find((s) => s.name === model.name && s.version === String(version))
      if (!index || status?.state === 'READY') return []
      const why = status ? `${status.state}${status.reason ? `: ${status.reason}` : ''}` : 'absent'
      return [`${alias} version ${version} ${why}`]
    })
    if (notReady.join() !== before?.notReady.join() && notReady.length > 0) {
      logger.error(
        { model: model.name, notReady, kept: model.kept },
        'registry version not ready; the versions serving go on until it is',
      )
    }
    // A drain starts once the alias holders are ready: until then the old version takes it all.
    const drainUntil = new Map(
      model.kept.map((v) => [
        v,
        notReady.length > 0
          ? started + this.#drainMs
          : (before?.drainUntil.get(v) ?? started + this.#drainMs),
      ]),
    )
    const draining = model.kept.filter((v) => !before?.drainUntil.has(v))
    if (model.written.length > 0 || model.removed.length > 0 || draining.length > 0) {
      const { versions, written, removed, kept } = model
      logger.info(
        { model: model.name, versions, written, removed, kept, drainMs: this.#drainMs },
        'model follows the registry',
      )
    }
    for (const alias of ALIASES) {
      const holder = model.versions.find((v) => v.alias === alias)
      if (holder) metrics?.registryServedVersion.set({ model: model.name, alias }, holder.version)
      else metrics?.registryServedVersion.remove({ model: model.name, alias })
    }
    return {
      served: [...model.versions.map((v) => v.version), ...model.kept],
      drainUntil,
      notReady,
    }
  }
}
