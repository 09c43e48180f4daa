import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { energyDistance } from './index.ts'

describe('energyDistance', () => {
  it('is √(2·gap) between two single points', () => {
    // scipy's docstring: energy_distance([0], [2]) = 2.
    expect(energyDistance([0], [2])).toBeCloseTo(2, 14)
  })

  it('is symmetric and zero for the same values in another order', () => {
    expect(energyDistance([0, 1, 3], [5, 6, 8])).toBe(energyDistance([5, 6, 8], [0, 1, 3]))
    expect(energyDistance([1, 2, 2, 7], [7, 2, 1, 2])).toBe(0)
  })

  it('rejects empty samples and NaN', () => {
    expect(() => energyDistance([], [1])).toThrow(/empty/)
    expect(() => energyDistance([1, Number.NaN], [1])).toThrow(/NaN/)
  })
})

describeWith(installed('scipy'), 'energyDistance against scipy.stats.energy_distance', () => {
  const r = random(23)
  const cases: Array<{ name: string; x: Float64Array; y: Float64Array }> = []
  for (const [n1, n2] of [
    [1, 1],
    [2, 9],
    [50, 50],
    [300, 700],
    [100_000, 100_000],
  ] as const) {
    cases.push({ name: `normal ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2) })
    cases.push({ name: `shifted and scaled ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2, 2, 3) })
  }
  cases.push({ name: 'ties 500×800 over 6', x: r.integers(500, 6), y: r.integers(800, 6) })
  cases.push({
    name: 'ties 60000×30000 over 40',
    x: r.integers(60_000, 40),
    y: r.integers(30_000, 40),
  })
  cases.push({ name: 'large offset', x: r.normals(2000, 1e6), y: r.normals(3000, 1e6 + 0.1) })

  const expected = python<number[]>(
    'result = [stats.energy_distance(c["x"], c["y"]) for c in data]',
    cases.map(({ x, y }) => ({ x, y })),
  )

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_, { x, y }, i) => {
    expect(relativeError(energyDistance(x, y), expected()[i] as number)).toBeLessThan(1e-9)
  })
})
