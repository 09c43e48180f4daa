import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { tTest } from './index.ts'

describe('tTest', () => {
  it('pools the variances: t = −√6 for [1, 2, 3] against [3, 4, 5]', () => {
    // Means 2 and 4, both variances 1: standard error √(1 · (1/3 + 1/3)).
    const result = tTest([1, 2, 3], [3, 4, 5])
    expect(result.statistic).toBeCloseTo(-Math.sqrt(6), 14)
    expect(result.pValue).toBeGreaterThan(0.05)
  })

  it('gives p = 1 when both samples hold one and the same value (scipy says NaN)', () => {
    expect(tTest([3, 3, 3], [3, 3])).toEqual({ statistic: 0, pValue: 1 })
  })

  it('finds constant samples of different values infinitely far apart', () => {
    expect(tTest([1, 1, 1], [2, 2])).toEqual({
      statistic: Number.NEGATIVE_INFINITY,
      pValue: 0,
    })
  })

  it('lets a sample of one value contribute no variance, as scipy ≥ 1.11 does (1.10 said NaN)', () => {
    // Pooled variance from [1, 3] alone: 2 over 1 degree of freedom; t = (5 − 2) / √(2 · 1.5).
    expect(tTest([5], [1, 3]).statistic).toBeCloseTo(3 / Math.sqrt(3), 14)
  })

  it('rejects empty samples and too few values', () => {
    expect(() => tTest([], [1, 2])).toThrow(/empty/)
    expect(() => tTest([1], [2])).toThrow(/three/)
  })
})

describeWith(installed('scipy'), 'tTest against scipy.stats.ttest_ind', () => {
  const r = random(31)
  const cases: Array<{ name: string; x: Float64Array; y: Float64Array }> = []
  for (const [n1, n2] of [
    [2, 2],
    [2, 3],
    [5, 9],
    [40, 40],
    [1000, 300],
    [100_000, 100_000],
  ] as const) {
    cases.push({ name: `normal ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2) })
    cases.push({ name: `shifted ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2, 0.3, 2) })
  }
  cases.push({ name: 'ties 300×500 over 4', x: r.integers(300, 4), y: r.integers(500, 4) })
  cases.push({
    name: 'large offset, small difference',
    x: r.normals(5000, 1e4),
    y: r.normals(4000, 1e4 + 0.05),
  })
  cases.push({ name: 'tiny p-value', x: r.normals(20_000), y: r.normals(20_000, 0.3) })

  const expected = python<Array<[number, number]>>(
    'result = [list(stats.ttest_ind(c["x"], c["y"])[:2]) for c in data]',
    cases.map(({ x, y }) => ({ x, y })),
  )

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_, { x, y }, i) => {
    const [statistic, pValue] = expected()[i] as [number, number]
    const result = tTest(x, y)
    expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-12)
    expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-9)
  })
})
