import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { hypergeomCdf, hypergeomPmf, hypergeomSf } from './hypergeom.ts'
import { fisherExact, fisherExactTest } from './index.ts'

const binary = (
  n: number,
  share: number,
  seed: number,
  labels: [string, string] = ['no', 'yes'],
) => {
  const r = random(seed)
  return Array.from({ length: n }, () => (r.uniform() < share ? labels[1] : labels[0]))
}

describe('fisherExact', () => {
  it("gives scipy's documented p-value for the whales and sharks", () => {
    // scipy.stats.fisher_exact([[8, 2], [1, 5]]): odds ratio 20, p = 0.0349…
    const { statistic, pValue } = fisherExact([
      [8, 2],
      [1, 5],
    ])
    expect(statistic).toBe(20)
    expect(pValue).toBeCloseTo(0.034965034965035, 14)
  })

  it('gives p = 1 and no odds ratio with an empty column, and ∞ when b·c = 0', () => {
    expect(
      fisherExact([
        [0, 3],
        [0, 4],
      ]),
    ).toEqual({ statistic: Number.NaN, pValue: 1 })
    expect(
      fisherExact([
        [5, 0],
        [1, 4],
      ]).statistic,
    ).toBe(Number.POSITIVE_INFINITY)
  })

  it('refuses negative or fractional counts', () => {
    expect(() =>
      fisherExact([
        [1, -1],
        [2, 3],
      ]),
    ).toThrow(/non-negative integers/)
    expect(() =>
      fisherExact([
        [1, 0.5],
        [2, 3],
      ]),
    ).toThrow(/non-negative integers/)
  })
})

describe('fisherExactTest', () => {
  it('counts the larger category as "one", current row first', () => {
    // Table [[current yes, current no], [reference yes, reference no]] = [[8, 2], [1, 5]].
    const current = [...Array<string>(8).fill('yes'), 'no', 'no']
    const reference = ['yes', ...Array<string>(5).fill('no')]
    expect(fisherExactTest(reference, current).statistic).toBe(20)
  })

  it('gives p = 1 when both samples hold one and the same value', () => {
    expect(fisherExactTest([1, 1, 1], [1, 1]).pValue).toBe(1)
  })

  it('refuses more than two categories', () => {
    expect(() => fisherExactTest(['a', 'b'], ['a', 'c'])).toThrow(/binary column.*3 categories/)
  })
})

describeWith(installed('scipy'), 'fisherExact against scipy.stats.fisher_exact', () => {
  const r = random(11)
  const tables: Array<[[number, number], [number, number]]> = [
    [
      [8, 2],
      [1, 5],
    ],
    [
      [3, 5],
      [5, 3],
    ],
    [
      [50, 50],
      [50, 50],
    ],
    [
      [0, 10],
      [10, 0],
    ],
    [
      [1, 0],
      [0, 1],
    ],
    [
      [1200, 800],
      [1000, 1000],
    ],
    [
      [30_000, 70_000],
      [30_500, 69_500],
    ],
    [
      [31_000, 69_000],
      [30_000, 70_000],
    ],
    [
      [5, 99_995],
      [40, 99_960],
    ],
    [
      [12, 3],
      [2_000, 9_000],
    ],
    ...Array.from({ length: 12 }, (): [[number, number], [number, number]] => {
      const size = Math.floor(r.uniform() * 5000) + 2
      const a = Math.floor(r.uniform() * size)
      const c = Math.floor(r.uniform() * size)
      return [
        [a, size - a],
        [c, Math.floor(size * 1.3) - c],
      ]
    }),
  ]
  const hyper = [
    { x: 37, total: 200_000, good: 100_000, draws: 60_000 },
    { x: 3, total: 50, good: 20, draws: 10 },
    { x: 29_700, total: 200_000, good: 100_000, draws: 60_000 },
    { x: 0, total: 1000, good: 10, draws: 990 },
  ]
  // Evidently's table (generate_fisher2x2_contingency_table) needs equal sizes: built here in
  // Python's sorted order from the same samples.
  const samples = [
    { ref: binary(1000, 0.3, 1), cur: binary(1000, 0.3, 2) },
    { ref: binary(500, 0.5, 3), cur: binary(500, 0.6, 4) },
    { ref: binary(100_000, 0.2, 5), cur: binary(100_000, 0.203, 6) },
    { ref: binary(40, 0.1, 7, ['a', 'b']), cur: binary(40, 0.9, 8, ['a', 'b']) },
  ]
  const expected = python<{
    tables: Array<[number, number]>
    pmf: Array<[number, number, number, number]>
    evidently: number[]
  }>(
    `
from fractions import Fraction
from math import comb
def evidently_fisher(ref, cur):
    one = sorted(set(ref) | set(cur))[-1]
    table = [[cur.count(one), len(cur) - cur.count(one)], [ref.count(one), len(ref) - ref.count(one)]]
    return stats.fisher_exact(table)[1]
result = {
    "tables": [list(stats.fisher_exact(t)) for t in data["tables"]],
    "pmf": [[stats.hypergeom.pmf(h["x"], h["total"], h["good"], h["draws"]),
             stats.hypergeom.cdf(h["x"], h["total"], h["good"], h["draws"]),
             stats.hypergeom.sf(h["x"], h["total"], h["good"], h["draws"]),
             float(Fraction(comb(h["good"], h["x"]) * comb(h["total"] - h["good"], h["draws"] - h["x"]),
                            comb(h["total"], h["draws"])))] for h in data["hyper"]],
    "evidently": [evidently_fisher(s["ref"], s["cur"]) for s in data["samples"]],
}
`,
    { tables, hyper, samples },
  )

  it('matches the odds ratio and p-value over small, large, tied and one-sided tables', () => {
    tables.forEach((table, i) => {
      const [statistic, pValue] = expected().tables[i] as [number, number]
      const result = fisherExact(table)
      expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-15)
      expect(relativeError(result.pValue, pValue), JSON.stringify(table)).toBeLessThan(1e-9)
    })
  })

  // Boost's pmf (scipy's) drifts by ~3e-11 relative at totals of 200,000; Loader's form stays
  // within 1e-14 of the exact ratio of binomial coefficients.
  it('matches scipy.stats.hypergeom pmf, cdf and sf, and the exact pmf', () => {
    hyper.forEach((h, i) => {
      const [pmf, cdf, sf, exact] = expected().pmf[i] as [number, number, number, number]
      expect(relativeError(hypergeomPmf(h.x, h), pmf)).toBeLessThan(1e-9)
      expect(relativeError(hypergeomPmf(h.x, h), exact)).toBeLessThan(1e-14)
      expect(relativeError(hypergeomCdf(h.x, h), cdf)).toBeLessThan(1e-9)
      expect(relativeError(hypergeomSf(h.x, h), sf)).toBeLessThan(1e-9)
    })
  })

  it("matches Evidently's fisher_exact on binary columns", () => {
    samples.forEach(({ ref, cur }, i) => {
      expect(
        relativeError(fisherExactTest(ref, cur).pValue, expected().evidently[i] as number),
      ).toBeLessThan(1e-9)
    })
  })
})
