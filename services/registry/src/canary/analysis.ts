/** A canary's analysis without I/O: counters in, a verdict with its reason out. */
import { errorBudget, type Slo, slos } from '../../../../dashboards/slo/index.ts'
import type { CanaryPolicy, CanaryVerdict, VariantCounts } from './types.ts'

function gatewaySlo(name: string): Slo {
  const slo: Slo | undefined = slos.find((s) => s.name === name)
  if (!slo) throw new Error(`dashboards/slo defines no ${name} SLO`)
  return slo
}

const availability = gatewaySlo('gateway-availability')
const latency = gatewaySlo('gateway-latency')
if (latency.sli.kind !== 'latency') throw new Error('the gateway-latency SLO is not a latency SLI')

/** The gateway's SLOs hold for the canary: as many bad requests as their error budgets allow. */
export const DEFAULT_CANARY_POLICY: Readonly<CanaryPolicy> = Object.freeze({
  analysisSeconds: 300,
  minRequests: 100,
  maxErrorRatio: errorBudget(availability),
  latencyThresholdSeconds: latency.sli.thresholdSeconds,
  maxSlowRatio: errorBudget(latency),
  intervalSeconds: 10,
})

/** `policy` over the defaults (undefined keeps one), checked: a RangeError names a wrong value. */
export function canaryPolicy(policy: Partial<CanaryPolicy> = {}): CanaryPolicy {
  const given = Object.entries(policy).filter(([, value]) => value !== undefined)
  const resolved: CanaryPolicy = { ...DEFAULT_CANARY_POLICY, ...Object.fromEntries(given) }
  const check = (key: keyof CanaryPolicy, ok: (value: number) => boolean, what: string) => {
    const value = resolved[key]
    if (!(typeof value === 'number' && ok(value))) {
      throw new RangeError(`canary policy: ${key} must be ${what}, not ${value}`)
    }
  }
  check('analysisSeconds', (v) => v >= 0 && Number.isFinite(v), 'a number of seconds ≥ 0')
  check('minRequests', (v) => Number.isInteger(v) && v >= 1, 'a whole number ≥ 1')
  check('maxErrorRatio', (v) => v >= 0 && v <= 1, 'a ratio from 0 to 1')
  check('latencyThresholdSeconds', (v) => v > 0 && Number.isFinite(v), 'a number of seconds > 0')
  check('maxSlowRatio', (v) => v >= 0 && v <= 1, 'a ratio from 0 to 1')
  check('intervalSeconds', (v) => v > 0 && Number.isFinite(v), 'a number of seconds > 0')
  return resolved
}

export const NO_TRAFFIC: Readonly<VariantCounts> = Object.freeze({
  requests: 0,
  errors: 0,
  slow: 0,
})
const COUNTERS = ['requests', 'errors', 'slow'] as const

const combine = (a: VariantCounts, b: VariantCounts, sign: 1 | -1): VariantCounts => ({
  requests: a.requests + sign * b.requests,
  errors: a.errors + sign * b.errors,
  slow: a.slow + sign * b.slow,
})
export const addCounts = (a: VariantCounts, b: VariantCounts) => combine(a, b, 1)
const countsSince = (now: VariantCounts, before: VariantCounts) => combine(now, before, -1)

/** What one canary version has served since its analysis began, across gateway restarts. */
export class CanaryAnalysis {
  #baseline: VariantCounts
  #last: VariantCounts
  /** Counted before the gateway's counters went down: a restart loses them there, not here. */
  #carried: VariantCounts = NO_TRAFFIC

  /** `counts`: the gateway's cumulative counters when the canary was first seen, the baseline. */
  constructor(
    readonly version: number,
    counts: VariantCounts,
    readonly startedAt: number,
  ) {
    this.#baseline = counts
    this.#last = counts
  }

  /** The canary's traffic since the analysis began, given the gateway's counters now. */
  observe(counts: VariantCounts): VariantCounts {
    // A counter went down: a gateway restarted. Keep what was counted up to the last read and
    // count again from the counters as they are now (summed over replicas, they can't be told
    // apart): the requests since that read are not counted, which only makes the verdict later.
    if (COUNTERS.some((counter) => counts[counter] < this.#last[counter])) {
      this.#carried = addCounts(this.#carried, countsSince(this.#last, this.#baseline))
      this.#baseline = counts
    }
    this.#last = counts
    return addCounts(this.#carried, countsSince(counts, this.#baseline))
  }
}

export interface Judgement {
  verdict: CanaryVerdict
  reason: string
  requests: number
  errorRatio: number
  slowRatio: number
}

const percent = (ratio: number) => `${Number((ratio * 100).toPrecision(2))}%`
const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0)

/** The verdict on `traffic`, served by canary `version` over `elapsedSeconds`. */
export function judge(
  policy: CanaryPolicy,
  version: number,
  traffic: VariantCounts,
  elapsedSeconds: number,
): Judgement {
  const { requests } = traffic
  const figures = {
    requests,
    errorRatio: ratio(traffic.errors, requests),
    slowRatio: ratio(traffic.slow, requests),
  }
  const decide = (verdict: CanaryVerdict, why: string): Judgement => ({
    verdict,
    reason: `canary version ${version}: ${why}`,
    ...figures,
  })
  if (requests < policy.minRequests) {
    return decide('wait', `${requests} of the ${policy.minRequests} requests needed for a verdict`)
  }
  const breaches = []
  if (figures.errorRatio > policy.maxErrorRatio) {
    breaches.push(
      `${percent(figures.errorRatio)} errors over ${requests} requests, above the SLO's ${percent(policy.maxErrorRatio)}`,
    )
  }
  if (figures.slowRatio > policy.maxSlowRatio) {
    const threshold = Number((policy.latencyThresholdSeconds * 1000).toPrecision(6))
    breaches.push(
      `${percent(figures.slowRatio)} of ${requests} requests slower than ${threshold} ms, above the SLO's ${percent(policy.maxSlowRatio)}`,
    )
  }
  if (breaches.length > 0) return decide('rollback', breaches.join('; '))
  const within = `${percent(figures.errorRatio)} errors and ${percent(figures.slowRatio)} slow over ${requests} requests`
  const left = Math.ceil(policy.analysisSeconds - elapsedSeconds)
  if (left > 0) {
    return decide(
      'wait',
      `${within}, within the SLO; ${left} s of the ${policy.analysisSeconds} s analysis left`,
    )
  }
  return decide('promote', `${within} in ${Math.floor(elapsedSeconds)} s, within the SLO`)
}
