import pino from 'pino'
import { Registry as PromRegistry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { errorBudget, slos } from '../../../../dashboards/slo/index.ts'
import { RegistryClient } from '../client/index.ts'
import type { ModelRegistry } from '../registry/index.ts'
import { registration, unreachableUrl, usePenguinsRegistry } from '../testing/index.ts'
import {
  CanaryController,
  type CanaryMetricsSource,
  type CanaryPolicy,
  canaryPolicy,
  DEFAULT_CANARY_POLICY,
  type VariantCounts,
} from './index.ts'

const fx = usePenguinsRegistry()
const alice = { actor: 'alice' }

let models = 0
/**
 * A model with version 1 in production and version 2 its canary: through the gate, or with the
 * alias alone (no gate report to promote it on).
 */
async function withCanary({ gated = true } = {}) {
  const name = `canary-${++models}`
  await fx.registry.register(registration(name, fx.good))
  await fx.registry.register(registration(name, fx.good))
  await fx.registry.promote(name, 1, { ...alice, to: 'production' })
  if (gated) {
    await fx.registry.promote(name, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      canary: { weight: 10 },
    })
  } else {
    await fx.registry.setAlias(name, 'canary', 2, { ...alice, weight: 10 })
  }
  return name
}

/** The gateway's cumulative canary counters, as the test sets them. */
class Traffic implements CanaryMetricsSource {
  readonly #counts = new Map<string, VariantCounts>()
  failure: Error | undefined

  async read(model: string) {
    if (this.failure) throw this.failure
    const canary = this.#counts.get(model)
    return canary ? { canary } : {}
  }

  set(model: string, counts: Partial<VariantCounts>) {
    this.#counts.set(model, { requests: 0, errors: 0, slow: 0, ...counts })
  }

  add(model: string, more: Partial<VariantCounts>) {
    const now = this.#counts.get(model) ?? { requests: 0, errors: 0, slow: 0 }
    this.set(model, {
      requests: now.requests + (more.requests ?? 0),
      errors: now.errors + (more.errors ?? 0),
      slow: now.slow + (more.slow ?? 0),
    })
  }
}

function setup(
  options: {
    policy?: Partial<CanaryPolicy>
    registry?: ModelRegistry
    metrics?: CanaryMetricsSource
  } = {},
) {
  const traffic = new Traffic()
  let time = 1_700_000_000_000
  const promRegistry = new PromRegistry()
  const controller = new CanaryController({
    registry: options.registry ?? fx.registry,
    metrics: options.metrics ?? traffic,
    policy: options.policy,
    logger: pino({ level: 'silent' }),
    now: () => time,
    promRegistry,
  })
  return {
    traffic,
    controller,
    promRegistry,
    advance: (seconds: number) => {
      time += seconds * 1000
    },
    /** One tick; the decision about `model` (the shared registry holds other tests' canaries). */
    decide: async (model: string) => (await controller.tick()).find((d) => d.model === model),
    /** A metric's value for the model; undefined once its series is gone. */
    metric: async (name: string, labels: Record<string, string>) =>
      (await promRegistry.getSingleMetric(name)?.get())?.values.find((v) =>
        Object.entries(labels).every(([k, value]) => v.labels[k] === value),
      )?.value,
  }
}

const aliases = async (name: string) => (await fx.registry.show(name)).aliases
const lastAudit = async (name: string) => (await fx.registry.show(name)).audit.at(-1)

describe('the canary controller', () => {
  it('promotes a canary that kept to the SLO for the analysis time over enough requests', async () => {
    const name = await withCanary()
    const { traffic, decide, advance, metric } = setup()
    // Counted before the canary was first seen: the baseline, not the canary's to answer for.
    traffic.set(name, { requests: 500, errors: 200, slow: 100 })
    expect(await decide(name)).toEqual({
      model: name,
      version: 2,
      verdict: 'wait',
      reason: 'canary version 2: 0 of the 100 requests needed for a verdict',
      requests: 0,
      errorRatio: 0,
      slowRatio: 0,
      elapsedSeconds: 0,
    })

    traffic.add(name, { requests: 150, slow: 1 })
    advance(120)
    expect(await decide(name)).toMatchObject({
      verdict: 'wait',
      reason:
        'canary version 2: 0% errors and 0.67% slow over 150 requests, within the SLO; 180 s of the 300 s analysis left',
      requests: 150,
      errorRatio: 0,
      slowRatio: 1 / 150,
      elapsedSeconds: 120,
    })
    expect(await metric('infera_canary_requests', { model: name })).toBe(150)
    expect(await metric('infera_canary_slow_ratio', { model: name })).toBe(1 / 150)
    expect(await metric('infera_canary_elapsed_seconds', { model: name })).toBe(120)
    expect((await aliases(name)).production?.version).toBe(1)

    traffic.add(name, { requests: 50 })
    advance(180)
    const promoted = await decide(name)
    expect(promoted).toMatchObject({
      verdict: 'promote',
      reason:
        'canary version 2: 0% errors and 0.5% slow over 200 requests in 300 s, within the SLO',
      requests: 200,
    })
    expect(await aliases(name)).toEqual({
      production: expect.objectContaining({ version: 2, previous_version: 1 }),
    })
    expect(await lastAudit(name)).toMatchObject({
      action: 'promote',
      to_version: 2,
      actor: 'canary-controller',
      reason: promoted?.reason,
      details: { reused: true, gate_passed: true },
    })
    expect(await metric('infera_canary_decisions_total', { model: name, verdict: 'promote' })).toBe(
      1,
    )
    expect(await metric('infera_canary_requests', { model: name })).toBeUndefined()
    expect(await decide(name)).toBeUndefined()
  })

  it('rolls a canary back at once when its errors break the availability SLO', async () => {
    const name = await withCanary()
    const { traffic, decide, metric } = setup()
    await decide(name)
    traffic.add(name, { requests: 120, errors: 5 })
    const decision = await decide(name)
    expect(decision).toMatchObject({
      verdict: 'rollback',
      reason: "canary version 2: 4.2% errors over 120 requests, above the SLO's 0.1%",
      requests: 120,
      errorRatio: 5 / 120,
      elapsedSeconds: 0,
    })
    expect(await aliases(name)).toEqual({
      production: expect.objectContaining({ version: 1 }),
    })
    expect(await lastAudit(name)).toMatchObject({
      action: 'remove_alias',
      alias: 'canary',
      from_version: 2,
      actor: 'canary-controller',
      reason: decision?.reason,
    })
    expect(
      await metric('infera_canary_decisions_total', { model: name, verdict: 'rollback' }),
    ).toBe(1)
    expect(await metric('infera_canary_error_ratio', { model: name })).toBeUndefined()
  })

  it('rolls a canary back when too many of its answers are slow', async () => {
    const name = await withCanary()
    const { traffic, decide } = setup()
    await decide(name)
    traffic.add(name, { requests: 200, slow: 3 })
    expect(await decide(name)).toMatchObject({
      verdict: 'rollback',
      reason: "canary version 2: 1.5% of 200 requests slower than 250 ms, above the SLO's 1%",
    })
    expect((await aliases(name)).canary).toBeUndefined()
  })

  it('gives no verdict on too few requests, however bad they are or long they take', async () => {
    const name = await withCanary()
    const { traffic, decide, advance } = setup()
    await decide(name)
    traffic.add(name, { requests: 99, errors: 99, slow: 99 })
    advance(3600)
    expect(await decide(name)).toMatchObject({
      verdict: 'wait',
      reason: 'canary version 2: 99 of the 100 requests needed for a verdict',
      requests: 99,
      errorRatio: 1,
    })
    expect((await aliases(name)).canary?.version).toBe(2)
  })

  it('counts on across a gateway restart, and starts again for a new canary version', async () => {
    const name = await withCanary()
    const { traffic, decide, advance } = setup()
    traffic.set(name, { requests: 1000, errors: 10 })
    await decide(name)
    traffic.set(name, { requests: 1060, errors: 10 })
    expect((await decide(name))?.requests).toBe(60)
    // The gateway restarted: its counters began again from zero.
    traffic.set(name, { requests: 5 })
    expect((await decide(name))?.requests).toBe(60)
    traffic.set(name, { requests: 45, errors: 1 })
    expect(await decide(name)).toMatchObject({
      verdict: 'rollback',
      requests: 100,
      errorRatio: 0.01,
    })

    // A new canary (version 3) is judged on its own traffic from when it is first seen.
    await fx.registry.register(registration(name, fx.good))
    await fx.registry.setAlias(name, 'canary', 3, { ...alice, weight: 10 })
    traffic.add(name, { requests: 500 })
    expect(await decide(name)).toMatchObject({ version: 3, requests: 0, elapsedSeconds: 0 })
    traffic.add(name, { requests: 10 })
    advance(5)
    expect(await decide(name)).toMatchObject({ version: 3, requests: 10, elapsedSeconds: 5 })
  })

  it('survives a registry or gateway that fails, deciding again on the next tick', async () => {
    const model = await withCanary({ gated: false })
    const { traffic, decide, advance, metric } = setup()
    await decide(model)
    traffic.add(model, { requests: 200 })
    advance(300)
    // Set without the gate: the registry refuses to promote it without a holdout.
    const refused = await decide(model)
    expect(refused?.verdict).toBe('promote')
    expect(refused?.reason).toMatch(
      /within the SLO \(not done: promoting to production needs a holdout CSV to score version 2 .*; tried again next tick\)$/,
    )
    expect((await aliases(model)).canary?.version).toBe(2)
    expect(
      await metric('infera_canary_decisions_total', { model, verdict: 'promote' }),
    ).toBeUndefined()

    traffic.failure = new Error('connect ECONNREFUSED 127.0.0.1:8080')
    expect(await decide(model)).toMatchObject({
      verdict: 'wait',
      reason:
        "canary version 2: waiting for the gateway's metrics: connect ECONNREFUSED 127.0.0.1:8080",
      elapsedSeconds: 300,
    })

    // The gate approves the same canary: the analysis goes on, and the next tick promotes.
    traffic.failure = undefined
    await fx.registry.promote(model, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      canary: { weight: 10 },
    })
    expect(await decide(model)).toMatchObject({ verdict: 'promote', requests: 200 })
    expect((await aliases(model)).production?.version).toBe(2)

    const unreachable = setup({ registry: new RegistryClient(await unreachableUrl()) })
    expect(await unreachable.controller.tick()).toEqual([])
  })

  it('stops its loop only once the tick under way has finished', async () => {
    const name = await withCanary()
    let reading!: () => void
    const reached = new Promise<void>((resolve) => {
      reading = resolve
    })
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const { controller, metric } = setup({
      policy: { intervalSeconds: 0.01 },
      metrics: {
        async read(model) {
          if (model === name) {
            reading()
            await released
          }
          return {}
        },
      },
    })
    controller.start()
    await reached
    let stopped = false
    const stopping = controller.stop().then(() => {
      stopped = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(stopped).toBe(false)
    release()
    await stopping
    // The tick finished its analysis before stop resolved.
    expect(await metric('infera_canary_requests', { model: name })).toBe(0)
  })
})

describe('the canary policy', () => {
  it('holds the canary to the gateway’s SLOs by default', () => {
    const availability = slos.find((s) => s.name === 'gateway-availability')
    const latency = slos.find((s) => s.name === 'gateway-latency')
    expect(availability && latency).toBeTruthy()
    expect(DEFAULT_CANARY_POLICY).toEqual({
      analysisSeconds: 300,
      minRequests: 100,
      maxErrorRatio: errorBudget(availability as (typeof slos)[number]),
      latencyThresholdSeconds: latency?.sli.kind === 'latency' && latency.sli.thresholdSeconds,
      maxSlowRatio: errorBudget(latency as (typeof slos)[number]),
      intervalSeconds: 10,
    })
    expect(canaryPolicy({ minRequests: undefined, analysisSeconds: 60 })).toEqual({
      ...DEFAULT_CANARY_POLICY,
      analysisSeconds: 60,
    })
  })

  it('refuses a value out of range, naming it', () => {
    const cases: [Partial<CanaryPolicy>, string][] = [
      [{ maxErrorRatio: 2 }, 'maxErrorRatio must be a ratio from 0 to 1, not 2'],
      [{ minRequests: 0.5 }, 'minRequests must be a whole number ≥ 1, not 0.5'],
      [{ intervalSeconds: 0 }, 'intervalSeconds must be a number of seconds > 0, not 0'],
      [{ analysisSeconds: Number.NaN }, 'analysisSeconds must be a number of seconds ≥ 0, not NaN'],
    ]
    for (const [policy, message] of cases) {
      expect(() => setup({ policy })).toThrow(new RangeError(`canary policy: ${message}`))
    }
  })
})
