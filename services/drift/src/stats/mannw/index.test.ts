import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { mannWhitneyU } from './index.ts'

describe('mannWhitneyU', () => {
  it('counts the pairs in which the first sample is larger, ties as halves', () => {
    // x > y in 2 > 1, 3 > 1, 3 > 2, 5 > 1, 5 > 2, 5 > 4, and the tie 2 = 2 counts ½.
    expect(mannWhitneyU([2, 3, 5], [1, 2, 4]).statistic).toBe(6.5)
  })

  it('gives the exact tail of fully separated samples: 1 / C(7, 3)', () => {
    const result = mannWhitneyU([1, 2, 3], [4, 5, 6, 7])
    expect(result).toEqual({ statistic: 0, pValue: expect.closeTo(1 / 35, 15), method: 'exact' })
    expect(mannWhitneyU([4, 5, 6, 7], [1, 2, 3]).pValue).toBe(1)
  })

  it('counts exactly only while a sample has at most 8 values and nothing ties', () => {
    const r = random(1)
    expect(mannWhitneyU(r.normals(8), r.normals(500)).method).toBe('exact')
    expect(mannWhitneyU(r.normals(9), r.normals(9)).method).toBe('asymptotic')
    expect(mannWhitneyU([1, 2, 2], [3, 4]).method).toBe('asymptotic')
  })

  it('gives p = 1 when every value is the same (no spread to rank)', () => {
    expect(mannWhitneyU([2, 2, 2], [2, 2]).pValue).toBe(1)
  })
})

describeWith(
  installed('scipy'),
  'mannWhitneyU against scipy.stats.mannwhitneyu(alternative="less")',
  () => {
    const r = random(17)
    const cases: Array<{ name: string; x: Float64Array; y: Float64Array }> = []
    for (const [n1, n2] of [
      [1, 1],
      [1, 7],
      [3, 4],
      [8, 8],
      [2, 50],
      [8, 200],
      [6, 300],
      [8, 9],
      [9, 9],
      [40, 60],
      [1000, 700],
      [100_000, 100_000],
    ] as const) {
      cases.push({ name: `normal ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2) })
      cases.push({ name: `shifted ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2, 0.5) })
    }
    for (const [n1, n2, k] of [
      [5, 7, 3],
      [30, 40, 5],
      [2000, 3000, 10],
      [50_000, 40_000, 4],
    ] as const) {
      cases.push({ name: `ties ${n1}×${n2} over ${k}`, x: r.integers(n1, k), y: r.integers(n2, k) })
    }
    cases.push({ name: 'tiny asymptotic p-value', x: r.normals(3000), y: r.normals(3000, 0.8) })
    cases.push({ name: 'tiny exact p-value', x: r.normals(8), y: r.normals(400, 3) })

    const expected = python<Array<[number, number]>>(
      'result = [list(stats.mannwhitneyu(c["x"], c["y"], alternative="less")) for c in data]',
      cases.map(({ x, y }) => ({ x, y })),
    )

    it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_, { x, y }, i) => {
      const [statistic, pValue] = expected()[i] as [number, number]
      const result = mannWhitneyU(x, y)
      expect(result.statistic).toBe(statistic)
      expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-9)
    })
  },
)

describeWith(installed('scipy'), 'mannWhitneyU exact p-values beyond what scipy can count', () => {
  // scipy's exact path is quadratic in U: with 8 values against thousands it would run for
  // hours. Python's integers count the same paths exactly instead.
  const r = random(3)
  const cases = [
    { x: r.normals(8, -1.2), y: r.normals(2000) },
    { x: r.normals(7, -1), y: r.normals(20_000) },
    { x: r.normals(8, -2.5), y: r.normals(5000) },
  ]
  const expected = python<number[]>(
    `from fractions import Fraction
from math import comb
result = []
for c in data:
    x, y = c["x"], c["y"]
    m, n = sorted((len(x), len(y)))
    ranks = {v: i + 1 for i, v in enumerate(sorted(x + y))}
    u2 = len(x) * len(y) - (sum(ranks[v] for v in x) - len(x) * (len(x) + 1) // 2)
    last = m * n - u2
    counts = [1] + [0] * last
    for i in range(1, m + 1):
        for k in range(i, last + 1):
            counts[k] += counts[k - i]
    for i in range(1, m + 1):
        for k in range(last, n + i - 1, -1):
            counts[k] -= counts[k - n - i]
    result.append(float(Fraction(sum(counts), comb(m + n, m))))`,
    cases,
  )

  it.each(cases.map((c, i) => [`${c.x.length}×${c.y.length}`, c, i] as const))(
    '%s to 1e-13 of the exact count',
    (_, { x, y }, i) => {
      const result = mannWhitneyU(x, y)
      expect(result.method).toBe('exact')
      expect(relativeError(result.pValue, expected()[i] as number)).toBeLessThan(1e-13)
    },
  )
})
