import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { cramerVonMises } from './index.ts'

describe('cramerVonMises', () => {
  it('gives the exact tail of fully separated samples: 2 / C(6, 3)', () => {
    // Only the two all-one-side orderings reach the largest T.
    const result = cramerVonMises([1, 2, 3], [4, 5, 6])
    expect(result.method).toBe('exact')
    expect(result.pValue).toBeCloseTo(2 / 20, 15)
  })

  it('is exact while both samples have at most 20 values', () => {
    const r = random(2)
    expect(cramerVonMises(r.normals(20), r.normals(20)).method).toBe('exact')
    expect(cramerVonMises(r.normals(21), r.normals(3)).method).toBe('asymptotic')
  })

  it('needs two values in each sample', () => {
    expect(() => cramerVonMises([1], [1, 2])).toThrow(/two values/)
  })
})

describeWith(installed('scipy'), 'cramerVonMises against scipy.stats.cramervonmises_2samp', () => {
  const r = random(47)
  const cases: Array<{ name: string; x: Float64Array; y: Float64Array }> = []
  for (const [n1, n2] of [
    [2, 2],
    [3, 7],
    [10, 10],
    [13, 20],
    [20, 20],
    [21, 5],
    [100, 80],
    [2000, 3000],
    [100_000, 100_000],
  ] as const) {
    cases.push({ name: `normal ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2) })
    cases.push({ name: `shifted ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2, 0.6) })
  }
  for (const [n1, n2, k] of [
    [6, 9, 3],
    [15, 20, 4],
    [400, 300, 6],
    [40_000, 50_000, 25],
  ] as const) {
    cases.push({ name: `ties ${n1}×${n2} over ${k}`, x: r.integers(n1, k), y: r.integers(n2, k) })
  }

  const expected = python<Array<[number, number]>>(
    'result = [[(res := stats.cramervonmises_2samp(c["x"], c["y"])).statistic, res.pvalue] for c in data]',
    cases.map(({ x, y }) => ({ x, y })),
  )

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_, { x, y }, i) => {
    const [statistic, pValue] = expected()[i] as [number, number]
    const result = cramerVonMises(x, y)
    expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-12)
    // 1 − CDF cancels as the p-value falls: held to 1e-9 relative or 1e-14 absolute.
    expect(Math.abs(result.pValue - pValue)).toBeLessThan(Math.max(1e-9 * pValue, 1e-14))
  })
})
