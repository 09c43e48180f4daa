import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { eppsSingleton } from './index.ts'

describe('eppsSingleton', () => {
  it('tells a shifted sample from the reference, and not a fresh draw', () => {
    const r = random(8)
    expect(eppsSingleton(r.normals(500), r.normals(500, 1)).pValue).toBeLessThan(1e-10)
    expect(eppsSingleton(r.normals(500), r.normals(500)).pValue).toBeGreaterThan(0.01)
  })

  it('refuses samples whose pooled interquartile range is 0, as Evidently does', () => {
    expect(() => eppsSingleton([1, 1, 1, 1, 1, 9], [1, 1, 1, 1, 1])).toThrow(/interquartile/)
  })

  it('needs 5 values in each sample', () => {
    expect(() => eppsSingleton([1, 2, 3, 4], [1, 2, 3, 4, 5])).toThrow(/5 values/)
  })
})

describeWith(installed('scipy'), 'eppsSingleton against scipy.stats.epps_singleton_2samp', () => {
  const r = random(71)
  const cases: Array<{ name: string; x: Float64Array; y: Float64Array }> = []
  for (const [n1, n2] of [
    [5, 5],
    [12, 30],
    [24, 24],
    [25, 25],
    [300, 200],
    [5000, 7000],
    [100_000, 100_000],
  ] as const) {
    cases.push({ name: `normal ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2) })
    cases.push({ name: `shifted ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2, 0.3, 1.2) })
  }
  for (const [n1, n2, k] of [
    [20, 30, 6],
    [700, 900, 12],
    [40_000, 30_000, 50],
  ] as const) {
    cases.push({ name: `ties ${n1}×${n2} over ${k}`, x: r.integers(n1, k), y: r.integers(n2, k) })
  }
  cases.push({ name: 'large offset', x: r.normals(3000, 500, 3), y: r.normals(3000, 500.2, 3) })
  cases.push({ name: 'tiny p-value', x: r.normals(4000), y: r.normals(4000, 0.4) })

  const expected = python<Array<[number, number]>>(
    'result = [list(stats.epps_singleton_2samp(c["x"], c["y"])) for c in data]',
    cases.map(({ x, y }) => ({ x, y })),
  )

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_, { x, y }, i) => {
    const [statistic, pValue] = expected()[i] as [number, number]
    const result = eppsSingleton(x, y)
    expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-9)
    expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-9)
  })
})
