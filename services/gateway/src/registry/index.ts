/**
 * Follows the model registry: each model's `production` alias, and its weighted `canary` alias,
 * become a route with version-pinned variants, so promotions, canaries and rollbacks reach clients
 * without anyone editing the gateway's config.
 */
import { z } from 'zod'
import { Poller, type Timers } from '../../../shared/poll/index.ts'
import {
  type RegistryConfig,
  type RouteConfig,
  type RouteConfigFile,
  validateRoutes,
} from '../config/index.ts'
import { joinUrl, type Send } from '../upstream/index.ts'

// Only the fields read here: the registry's answer carries much more (versions, audit trails).
const aliasSchema = z.object({
  version: z.number().int().positive(),
  /** The canary's share in percent; null for production. */
  weight: z.number().min(0).max(100).nullish(),
})
const modelListSchema = z.object({
  models: z.array(
    z.object({
      name: z.string().min(1),
      aliases: z.object({ production: aliasSchema.optional(), canary: aliasSchema.optional() }),
    }),
  ),
})
type RegistryModel = z.output<typeof modelListSchema>['models'][number]

// Every model with its whole audit trail: generous, but bounded.
const MODEL_LIST_LIMIT = 64 * 1024 * 1024
const READY_ANSWER_LIMIT = 64 * 1024

// A canary controller reads the gateway's request counts by these variant names.
const PRODUCTION_VARIANT = 'production'
const CANARY_VARIANT = 'canary'

export interface ModelVersionRef {
  model: string
  version: number
}

/**
 * What one sync did. `pending`: versions the registry names that no target reports ready yet (their
 * model keeps its previous route, or production takes the canary's share).
 */
export type RegistrySync =
  | { ok: true; changed: boolean; pending: ModelVersionRef[] }
  | { ok: false; error: string }

export interface RegistryFollowerOptions {
  config: RegistryConfig
  /** Reaches the registry and the inference servers. */
  send: Send
  timers: Timers
  /** The config file's routes: after the registry's, catching the other models. */
  fileRoutes: readonly RouteConfig[]
  getRoutes: () => readonly RouteConfig[]
  /** Validates and applies routes; throws on invalid ones. */
  setRoutes: (routes: RouteConfig[]) => void
  onSync?: (result: RegistrySync) => void
}

const keyOf = ({ model, version }: ModelVersionRef) => `${model}\u0000${version}`
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Polls the registry every `poll_seconds` and routes each model holding `production` to its
 * production version, and to its canary version by the canary's weight, on its group's targets (or
 * the registry's `targets`; a model with neither is left to the file's routes). A version gets
 * traffic only once one of those targets reports it ready; a registry that can't be read leaves
 * the routes as they are.
 */
export class RegistryFollower {
  // Versions some target reported ready: not asked again while the registry still names them.
  readonly #ready = new Set<string>()
  #queue: Promise<unknown> = Promise.resolve()
  readonly #poller: Poller
  /** The targets each model routes to; undefined for a model that doesn't follow the registry. */
  readonly #targetsOf: (model: string) => string[] | undefined
  readonly #options: RegistryFollowerOptions

  constructor(options: RegistryFollowerOptions) {
    this.#options = options
    this.#poller = new Poller(() => this.sync(), {
      intervalMs: options.config.poll_seconds * 1000,
      timers: options.timers,
    })
    const { groups = [], targets } = options.config
    const byModel = new Map(groups.flatMap((group) => group.models.map((m) => [m, group.targets])))
    this.#targetsOf = (model) => byModel.get(model) ?? targets
  }

  start(): void {
    this.#poller.start()
  }

  /** Resolves once a sync under way has finished. */
  stop(): Promise<void> {
    return this.#poller.stop()
  }

  /** One sync now; syncs run one at a time, so an older answer never replaces a newer one. */
  sync(): Promise<RegistrySync> {
    const result = this.#queue.then(() => this.#syncOnce())
    this.#queue = result
    return result
  }

  async #syncOnce(): Promise<RegistrySync> {
    let result: RegistrySync
    try {
      result = await this.#follow(await this.#readModels())
    } catch (error) {
      result = { ok: false, error: messageOf(error) }
    }
    this.#options.onSync?.(result)
    return result
  }

  async #readModels(): Promise<RegistryModel[]> {
    const url = joinUrl(this.#options.config.url, '/v1/models')
    const response = await this.#options.send(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      timeoutMs: this.#options.config.timeout_ms,
      maxResponseBytes: MODEL_LIST_LIMIT,
    })
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`)
    let body: unknown
    try {
      body = JSON.parse(new TextDecoder().decode(response.body))
    } catch (error) {
      throw new Error(`${url} answered with something other than JSON: ${messageOf(error)}`)
    }
    const parsed = modelListSchema.safeParse(body)
    if (!parsed.success) {
      const [issue] = parsed.error.issues
      throw new Error(
        `${url} answered an unexpected shape: ${issue?.path.join('.')}: ${issue?.message}`,
      )
    }
    return parsed.data.models
  }

  async #follow(listed: RegistryModel[]): Promise<RegistrySync> {
    // A model in no group, without `targets`, is neither asked about nor routed: the file's
    // routes go on catching it.
    const models = listed.filter((model) => this.#targetsOf(model.name))
    const wanted = new Map(models.flatMap(wantedVersions).map((v) => [keyOf(v), v]))
    await this.#checkReadiness(wanted)
    const pending = [...wanted].filter(([key]) => !this.#ready.has(key)).map(([, v]) => v)
    const current = this.#options.getRoutes()
    const routes = models.flatMap((model) => this.#routeFor(model, current) ?? [])
    const routed = new Set(routes.map((route) => route.model))
    const next = validateRoutes(
      [...routes, ...this.#options.fileRoutes.filter((route) => !routed.has(route.model))],
      'routes from the registry',
    )
    const changed = JSON.stringify(next) !== JSON.stringify(current)
    if (changed) this.#options.setRoutes(next)
    return { ok: true, changed, pending }
  }

  /** The model's route, or its route in force while its production version isn't ready. */
  #routeFor(model: RegistryModel, current: readonly RouteConfig[]): RouteConfigFile | undefined {
    const { production, canary } = model.aliases
    const targets = this.#targetsOf(model.name)
    if (!production || !targets) return undefined
    const isReady = (version: number) => this.#ready.has(keyOf({ model: model.name, version }))
    if (!isReady(production.version)) return current.find((route) => route.model === model.name)
    const canaryWeight = canary?.weight && isReady(canary.version) ? canary.weight : 0
    const variants: RouteConfigFile['variants'] = [
      {
        name: PRODUCTION_VARIANT,
        version: String(production.version),
        weight: 100 - canaryWeight,
        targets,
      },
    ]
    if (canary && canaryWeight > 0) {
      variants.push({
        name: CANARY_VARIANT,
        version: String(canary.version),
        weight: canaryWeight,
        targets,
      })
    }
    // A file route of the same name lends the model its settings (sticky, shadow, timeouts).
    const settings = this.#options.fileRoutes.find((route) => route.model === model.name)
    return { ...settings, model: model.name, variants }
  }

  /** Asks the targets about each version not yet known ready; forgets versions no longer wanted. */
  async #checkReadiness(wanted: ReadonlyMap<string, ModelVersionRef>): Promise<void> {
    for (const key of this.#ready) if (!wanted.has(key)) this.#ready.delete(key)
    await Promise.all(
      [...wanted]
        .filter(([key]) => !this.#ready.has(key))
        .map(async ([key, version]) => {
          if (await this.#readyOnAnyTarget(version)) this.#ready.add(key)
        }),
    )
  }

  /** Whether a target the model routes to reports the version ready. */
  async #readyOnAnyTarget({ model, version }: ModelVersionRef): Promise<boolean> {
    const path = `/v2/models/${encodeURIComponent(model)}/versions/${version}/ready`
    const answers = await Promise.all(
      (this.#targetsOf(model) ?? []).map((target) =>
        this.#options
          .send(joinUrl(target, path), {
            method: 'GET',
            headers: {},
            timeoutMs: this.#options.config.timeout_ms,
            maxResponseBytes: READY_ANSWER_LIMIT,
          })
          .then(
            (response) => response.status === 200,
            () => false,
          ),
      ),
    )
    return answers.includes(true)
  }
}

/** The versions a model's aliases would route to. */
function wantedVersions({ name, aliases }: RegistryModel): ModelVersionRef[] {
  const { production, canary } = aliases
  if (!production) return []
  const versions = [{ model: name, version: production.version }]
  if (canary?.weight) versions.push({ model: name, version: canary.version })
  return versions
}
