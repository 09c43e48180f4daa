import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { gTest, gTestGof } from './index.ts'

const labels = (codes: Float64Array) => Array.from(codes, (c) => `c${c}`)

describe('gTestGof', () => {
  it('is 2 Σ o ln(o / e), skipping categories never observed', () => {
    // 2·(30 ln(30/20) + 10 ln(10/20)) + 0 for the unobserved third.
    const { statistic } = gTestGof([30, 10, 0], [20, 10, 10])
    expect(statistic).toBeCloseTo(2 * (30 * Math.log(1.5) + 10 * Math.log(1)), 12)
  })

  it('refuses observed and expected totals that disagree', () => {
    expect(() => gTestGof([10, 10], [10, 11])).toThrow(/gTestGof.*differ/)
  })
})

describe('gTest', () => {
  it('treats a category the reference never saw as certain drift', () => {
    expect(gTest(['a', 'b', 'a'], ['a', 'b', 'new'])).toEqual({
      statistic: Number.POSITIVE_INFINITY,
      pValue: 0,
    })
  })

  it('gives p = 1 when both samples hold one and the same category', () => {
    expect(gTest(['a', 'a'], ['a'])).toEqual({ statistic: 0, pValue: 1 })
  })
})

describeWith(installed('scipy'), 'G-test against scipy.stats.power_divergence', () => {
  const r = random(21)
  const gof = [
    { observed: [16, 18, 16, 14, 12, 12], expected: [16, 16, 16, 16, 16, 8] },
    { observed: [0, 2, 3, 395], expected: [100, 100, 100, 100] },
  ]
  const samples = [
    { name: 'same distribution', ref: labels(r.integers(800, 5)), cur: labels(r.integers(600, 5)) },
    {
      name: 'shifted shares, unequal sizes',
      ref: labels(r.integers(900, 4)),
      cur: labels(Float64Array.from(r.integers(300, 6), (v) => Math.min(v, 3))),
    },
    {
      name: 'a category missing from current',
      ref: labels(r.integers(2000, 6)),
      cur: labels(r.integers(1500, 5)),
    },
    {
      name: 'many categories',
      ref: labels(r.integers(100_000, 60)),
      cur: labels(r.integers(90_000, 60)),
    },
    {
      name: 'integer categories',
      ref: Array.from(r.integers(500, 3)),
      cur: Array.from(r.integers(700, 3)),
    },
    { name: 'unseen category', ref: labels(r.integers(100, 3)), cur: labels(r.integers(100, 4)) },
  ]
  // Evidently's _g_stat_test, but for pandas.
  const expected = python<{ gof: Array<[number, number]>; evidently: Array<[number, number]> }>(
    `
from collections import Counter
import warnings
warnings.simplefilter("ignore")
def g_stat_test(ref, cur):
    keys = list(set(ref) | set(cur))
    rc, cc = Counter(ref), Counter(cur)
    k_norm = len(cur) / len(ref)
    f_exp = [rc[k] * k_norm for k in keys]
    f_obs = [cc[k] for k in keys]
    return list(stats.power_divergence(f_obs, f_exp, lambda_="log-likelihood"))
result = {
    "gof": [list(stats.power_divergence(c["observed"], c["expected"], lambda_="log-likelihood")) for c in data["gof"]],
    "evidently": [g_stat_test(s["ref"], s["cur"]) for s in data["samples"]],
}
`,
    { gof, samples },
  )

  it('gTestGof matches power_divergence(…, lambda_="log-likelihood")', () => {
    gof.forEach(({ observed, expected: e }, i) => {
      const [statistic, pValue] = expected().gof[i] as [number, number]
      const result = gTestGof(observed, e)
      expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-12)
      expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-10)
    })
  })

  it.each(samples.map((s, i) => [s.name, s, i] as const))(
    "gTest matches Evidently's g_test: %s",
    (_, { ref, cur }, i) => {
      const [statistic, pValue] = expected().evidently[i] as [number, number]
      const result = gTest(ref, cur)
      expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-11)
      expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-9)
    },
  )
})
