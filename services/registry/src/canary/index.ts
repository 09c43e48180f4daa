/**
 * The canary controller: follows every model's canary through the gateway's metrics, rolls it back
 * as soon as it breaks the SLO and promotes it to production once it has kept to it long enough.
 */
import pino, { type Logger } from 'pino'
import { Registry as PromRegistry } from 'prom-client'
import { Poller } from '../../../shared/poll/index.ts'
import type { ModelRegistry, ModelView } from '../registry/index.ts'
import { CanaryAnalysis, canaryPolicy, judge, NO_TRAFFIC } from './analysis.ts'
import { type CanaryMetrics, createCanaryMetrics } from './metrics.ts'
import type { CanaryDecision, CanaryMetricsSource, CanaryPolicy, VariantCounts } from './types.ts'

export { canaryPolicy, DEFAULT_CANARY_POLICY } from './analysis.ts'
export { type GatewayMetricsOptions, GatewayMetricsSource } from './gateway-metrics.ts'
export { type PrometheusMetricsOptions, PrometheusMetricsSource } from './prometheus-metrics.ts'
export type * from './types.ts'

export interface CanaryControllerOptions {
  registry: ModelRegistry
  metrics: CanaryMetricsSource
  /** Over DEFAULT_CANARY_POLICY; a value out of range is a RangeError naming it. */
  policy?: Partial<CanaryPolicy>
  logger?: Logger
  /** Who the audit log says promoted or rolled back. */
  actor?: string
  /** Milliseconds since the epoch. */
  now?: () => number
  /** Where the controller's metrics go, e.g. the registry service's; a registry of its own if none. */
  promRegistry?: PromRegistry
}

export class CanaryController {
  readonly policy: CanaryPolicy
  readonly #registry: ModelRegistry
  readonly #source: CanaryMetricsSource
  readonly #logger: Logger
  readonly #actor: string
  readonly #now: () => number
  readonly #metrics: CanaryMetrics
  /** By model: the analysis of the canary version last seen. */
  readonly #analyses = new Map<string, CanaryAnalysis>()
  readonly #poller: Poller

  constructor(options: CanaryControllerOptions) {
    this.policy = canaryPolicy(options.policy)
    this.#registry = options.registry
    this.#source = options.metrics
    this.#logger = options.logger ?? pino({ name: 'canary-controller' })
    this.#actor = options.actor ?? 'canary-controller'
    this.#now = options.now ?? Date.now
    this.#metrics = createCanaryMetrics(options.promRegistry ?? new PromRegistry())
    this.#poller = new Poller(() => this.tick(), {
      intervalMs: this.policy.intervalSeconds * 1000,
      // The loop alone keeps no process alive.
      unref: true,
      onError: (error) => this.#logger.error({ err: error }, 'canary tick failed'),
    })
  }

  /** One analysis pass over every model holding a canary alias; never rejects. */
  async tick(): Promise<CanaryDecision[]> {
    let models: ModelView[]
    try {
      models = await this.#registry.list()
    } catch (error) {
      this.#logger.error({ err: error }, "can't list the registry's models; trying again next tick")
      return []
    }
    const canaries = new Map<string, number>()
    for (const { name, aliases } of models) {
      if (aliases.canary) canaries.set(name, aliases.canary.version)
    }
    for (const model of this.#analyses.keys()) {
      if (!canaries.has(model)) this.#forget(model)
    }
    const decisions: CanaryDecision[] = []
    for (const [model, version] of canaries) decisions.push(await this.#analyse(model, version))
    return decisions
  }

  /** Ticks every `policy.intervalSeconds`, counted from the end of the last tick. */
  start(): void {
    this.#poller.start()
  }

  /** Stops the loop; resolves once a tick under way has finished. */
  stop(): Promise<void> {
    return this.#poller.stop()
  }

  async #analyse(model: string, version: number): Promise<CanaryDecision> {
    let counts: VariantCounts
    try {
      counts = (await this.#source.read(model)).canary ?? NO_TRAFFIC
    } catch (error) {
      const reason = `canary version ${version}: waiting for the gateway's metrics: ${(error as Error).message}`
      this.#logger.warn({ model, version, err: error }, reason)
      const analysis = this.#analyses.get(model)
      const elapsedSeconds = analysis?.version === version ? this.#elapsed(analysis) : 0
      return { model, version, verdict: 'wait', reason, ...NO_FIGURES, elapsedSeconds }
    }
    let analysis = this.#analyses.get(model)
    if (analysis?.version !== version) {
      analysis = new CanaryAnalysis(version, counts, this.#now())
      this.#analyses.set(model, analysis)
      this.#logger.info({ model, version, baseline: counts }, 'canary analysis started')
    }
    const elapsedSeconds = this.#elapsed(analysis)
    const decision: CanaryDecision = {
      model,
      version,
      ...judge(this.policy, version, analysis.observe(counts), elapsedSeconds),
      elapsedSeconds,
    }
    this.#metrics.show(decision)
    return decision.verdict === 'wait' ? decision : this.#act(decision)
  }

  /** Carries out a promotion or rollback; a refusal is logged and the next tick decides again. */
  async #act(decision: CanaryDecision): Promise<CanaryDecision> {
    const { model, version, verdict, reason } = decision
    const change = { actor: this.#actor, reason }
    try {
      if (verdict === 'rollback')
        await this.#registry.removeAlias(model, 'canary', { ...change, version })
      else
        await this.#registry.promote(model, version, {
          to: 'production',
          onlyIfCanary: true,
          ...change,
        })
    } catch (error) {
      const message = (error as Error).message
      this.#logger.error({ model, version, verdict, err: error }, `canary ${verdict} failed`)
      return { ...decision, reason: `${reason} (not done: ${message}; tried again next tick)` }
    }
    this.#metrics.decided(decision)
    this.#forget(model)
    this.#logger.info(
      decision,
      verdict === 'rollback' ? 'canary rolled back' : 'canary promoted to production',
    )
    return decision
  }

  #elapsed(analysis: CanaryAnalysis) {
    return (this.#now() - analysis.startedAt) / 1000
  }

  #forget(model: string) {
    this.#analyses.delete(model)
    this.#metrics.forget(model)
  }
}

const NO_FIGURES = { requests: 0, errorRatio: 0, slowRatio: 0 }
