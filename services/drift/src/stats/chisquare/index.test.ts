import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { chiSquareGof, chiSquareTest } from './index.ts'

const labels = (codes: Float64Array, prefix = 'c') => Array.from(codes, (c) => `${prefix}${c}`)

describe('chiSquareGof', () => {
  it('with two categories equals the squared z statistic', () => {
    // (60 - 50)² / 50 + (40 - 50)² / 50 = 4, chi2(1).sf(4) = 2·(1 - Φ(2)).
    const { statistic, pValue } = chiSquareGof([60, 40], [50, 50])
    expect(statistic).toBe(4)
    expect(pValue).toBeCloseTo(0.0455002638963584, 14)
  })

  it('refuses observed and expected totals that disagree, as scipy does', () => {
    expect(() => chiSquareGof([10, 10], [10, 11])).toThrow(/differ/)
  })
})

describe('chiSquareTest', () => {
  it('scales reference counts to the current size', () => {
    // Reference shares 3/4, 1/4 of 40 current values: expected 30, 10; observed 20, 20.
    const reference = [...Array<string>(300).fill('x'), ...Array<string>(100).fill('y')]
    const current = [...Array<string>(20).fill('x'), ...Array<string>(20).fill('y')]
    expect(chiSquareTest(reference, current).statistic).toBeCloseTo(100 / 30 + 100 / 10, 12)
  })

  it('treats a category the reference never saw as certain drift', () => {
    expect(chiSquareTest(['a', 'b', 'a'], ['a', 'b', 'new'])).toEqual({
      statistic: Number.POSITIVE_INFINITY,
      pValue: 0,
    })
  })

  it('gives p = 1 when both samples hold one and the same category', () => {
    expect(chiSquareTest(['a', 'a'], ['a'])).toEqual({ statistic: 0, pValue: 1 })
  })
})

describeWith(installed('scipy'), 'chi-square against scipy.stats.chisquare', () => {
  const r = random(9)
  const gof = [
    { observed: [16, 18, 16, 14, 12, 12], expected: [16, 16, 16, 16, 16, 8] },
    { observed: [1, 2, 3, 400], expected: [101.5, 101.5, 101.5, 101.5] },
    {
      observed: Array.from({ length: 200 }, (_, i) => 50 + (i % 7)),
      expected: Array.from({ length: 200 }, () => 10_594 / 200),
    },
  ]
  // Evidently's _chi_stat_test, verbatim but for pandas.
  const EVIDENTLY = `
from collections import Counter
import warnings
warnings.simplefilter("ignore")
def chi_stat_test(ref, cur):
    keys = list(set(ref) | set(cur))
    rc, cc = Counter(ref), Counter(cur)
    k_norm = len(cur) / len(ref)
    f_exp = [rc[k] * k_norm for k in keys]
    f_obs = [cc[k] for k in keys]
    return list(stats.chisquare(f_obs, f_exp))
result = {
    "gof": [list(stats.chisquare(c["observed"], c["expected"])) for c in data["gof"]],
    "evidently": [chi_stat_test(c["ref"], c["cur"]) for c in data["samples"]],
}
`
  const samples = [
    { name: 'same distribution', ref: labels(r.integers(800, 5)), cur: labels(r.integers(600, 5)) },
    {
      name: 'shifted shares',
      ref: labels(r.integers(900, 4)),
      cur: labels(Float64Array.from(r.integers(300, 6), (v) => Math.min(v, 3))),
    },
    {
      name: 'many categories',
      ref: labels(r.integers(5000, 60)),
      cur: labels(r.integers(4000, 60)),
    },
    { name: 'unseen category', ref: labels(r.integers(100, 3)), cur: labels(r.integers(100, 4)) },
  ]
  const expected = python<{ gof: Array<[number, number]>; evidently: Array<[number, number]> }>(
    EVIDENTLY,
    { gof, samples },
  )

  it('chiSquareGof matches scipy.stats.chisquare', () => {
    gof.forEach(({ observed, expected: e }, i) => {
      const [statistic, pValue] = expected().gof[i] as [number, number]
      const result = chiSquareGof(observed, e)
      expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-12)
      expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-11)
    })
  })

  it.each(samples.map((s, i) => [s.name, s, i] as const))(
    'chiSquareTest matches Evidently: %s',
    (_, { ref, cur }, i) => {
      const [statistic, pValue] = expected().evidently[i] as [number, number]
      const result = chiSquareTest(ref, cur)
      expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-12)
      expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-11)
    },
  )
})
