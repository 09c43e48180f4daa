import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python } from '../testing/index.ts'
import { compareCategories, zTest } from './index.ts'

const sample = (counts: Record<string, number>) =>
  Object.entries(counts).flatMap(([value, n]) => Array<string>(n).fill(value))

describe('zTest', () => {
  it('computes the pooled two-proportion z statistic', () => {
    // p1 = 0.5, p2 = 0.3, pooled 0.4: z = 0.2 / sqrt(0.24 · (1/100 + 1/100)).
    const { statistic } = zTest(sample({ a: 50, b: 50 }), sample({ a: 70, b: 30 }))
    expect(statistic).toBeCloseTo(0.2 / Math.sqrt(0.24 * 0.02), 12)
  })

  it('does not depend on which of two categories is tested', () => {
    const forward = zTest(sample({ yes: 40, no: 60 }), sample({ yes: 55, no: 45 }))
    const renamed = zTest(sample({ a: 40, z: 60 }), sample({ a: 55, z: 45 }))
    expect(renamed.pValue).toBeCloseTo(forward.pValue, 14)
  })

  it('gives p = 1 when both samples hold one and the same value', () => {
    expect(zTest([1, 1], [1])).toEqual({ statistic: 0, pValue: 1 })
  })

  it('keeps tiny p-values that 1 - Φ(|z|) would round to zero', () => {
    const { pValue } = zTest(sample({ a: 900, b: 100 }), sample({ a: 100, b: 900 }))
    expect(pValue).toBeGreaterThan(0)
    expect(pValue).toBeLessThan(1e-100)
  })

  it('orders categories as Python sorts them, numbers first', () => {
    expect(['b', 10, 'a', 2].sort(compareCategories)).toEqual([2, 10, 'a', 'b'])
  })
})

describeWith(installed('scipy'), 'zTest against Evidently', () => {
  const cases = [
    [sample({ a: 50, b: 50 }), sample({ a: 70, b: 30 })],
    [sample({ no: 480, yes: 20 }), sample({ no: 300, yes: 31 })],
    [
      [0, 1, 1, 2, 2, 2],
      [0, 0, 1, 2],
    ],
  ]
  // Evidently's _z_stat_test, with 0/1 indicators of "not the smallest key".
  const expected = python<number[]>(
    `def z_stat_test(ref, cur):
    key = sorted(set(ref) | set(cur))[0]
    r = [0 if x == key else 1 for x in ref]
    c = [0 if x == key else 1 for x in cur]
    n1, n2 = len(r), len(c)
    p1, p2 = float(sum(r)) / n1, float(sum(c)) / n2
    P = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    return 2 * (1 - stats.norm.cdf(np.abs(z)))
result = [z_stat_test(ref, cur) for ref, cur in data]`,
    cases,
  )

  it('matches Evidently p-values where 1 - Φ does not lose precision', () => {
    cases.forEach(([ref, cur], i) => {
      expect(zTest(ref as string[], cur as string[]).pValue).toBeCloseTo(
        expected()[i] as number,
        12,
      )
    })
  })
})
