import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { normedWasserstein, populationStd, wassersteinDistance } from './index.ts'

describe('wassersteinDistance', () => {
  it('is the shift between a sample and its translate', () => {
    const x = random(1).normals(500)
    expect(
      wassersteinDistance(
        x,
        x.map((v) => v + 2.5),
      ),
    ).toBeCloseTo(2.5, 10)
  })

  it('is symmetric and zero for identical samples', () => {
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBe(
      wassersteinDistance([5, 6, 8], [0, 1, 3]),
    )
    expect(wassersteinDistance([1, 2, 2], [2, 1, 2])).toBe(0)
  })
})

describe('normedWasserstein', () => {
  it('divides by the population standard deviation of the reference', () => {
    // Reference 0, 2: mean 1, population std 1; the current sample sits 3 higher.
    expect(normedWasserstein([0, 2], [3, 5])).toBeCloseTo(3, 12)
    expect(populationStd([0, 2])).toBe(1)
  })

  it('floors the scale at 0.001 for a constant reference', () => {
    expect(normedWasserstein([1, 1, 1], [1.002])).toBeCloseTo(2, 9)
  })
})

describeWith(installed('scipy'), 'Wasserstein against scipy.stats.wasserstein_distance', () => {
  const r = random(21)
  const cases: Array<[string, Float64Array, Float64Array]> = [
    ['small', r.normals(7), r.normals(11, 1)],
    ['ties', r.integers(400, 6), r.integers(700, 8)],
    ['unequal sizes', r.normals(3000), r.normals(20, 0.2, 3)],
    ['large', r.normals(100_000), r.normals(80_000, 0.05)],
    ['constant reference', new Float64Array(50).fill(3), r.normals(40, 3, 0.01)],
  ]
  const expected = python<Array<[number, number]>>(
    `result = [[stats.wasserstein_distance(u, v),
            stats.wasserstein_distance(u, v) / max(float(np.std(u)), 0.001)] for u, v in data]`,
    cases.map(([, u, v]) => [u, v]),
  )

  it.each(cases.map(([name, u, v], i) => [name, u, v, i] as const))('%s', (_, u, v, i) => {
    const [distance, normed] = expected()[i] as [number, number]
    expect(relativeError(wassersteinDistance(u, v), distance)).toBeLessThan(1e-10)
    expect(relativeError(normedWasserstein(u, v), normed)).toBeLessThan(1e-10)
  })
})
