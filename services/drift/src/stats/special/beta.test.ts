import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, relativeError } from '../testing/index.ts'
import { betaInc, studentTSf } from './index.ts'

describe('betaInc and studentTSf', () => {
  it('I_x(1, 1) = x and I_x(a, 1) = x^a', () => {
    expect(betaInc(1, 1, 0.3)).toBeCloseTo(0.3, 14)
    expect(relativeError(betaInc(4.5, 1, 0.2), 0.2 ** 4.5)).toBeLessThan(1e-13)
  })

  it('is 0 and 1 at the ends, NaN outside [0, 1] or without positive shapes', () => {
    expect(betaInc(2, 3, 0)).toBe(0)
    expect(betaInc(2, 3, 1)).toBe(1)
    expect(betaInc(2, 3, 1.5)).toBeNaN()
    expect(betaInc(0, 3, 0.5)).toBeNaN()
  })

  it('Student t with 1 degree of freedom is Cauchy: P(T > t) = ½ − atan(t)/π', () => {
    for (const t of [-30, -2, -0.1, 0, 0.7, 3, 100]) {
      expect(relativeError(studentTSf(t, 1), 0.5 - Math.atan(t) / Math.PI)).toBeLessThan(1e-13)
    }
    expect(studentTSf(Number.POSITIVE_INFINITY, 5)).toBe(0)
    expect(studentTSf(1, 0)).toBeNaN()
  })
})

describeWith(installed('scipy'), 'betaInc and studentTSf against scipy.special', () => {
  const grid: Array<[number, number, number]> = []
  for (const a of [0.5, 1, 2.5, 7, 10, 15, 50, 1000, 100_000])
    for (const b of [0.5, 1, 3, 12, 40, 2000])
      for (const x of [1e-4, 0.01, 0.2, 0.5, 0.8, 0.99, 0.9999]) grid.push([a, b, x])
  const ts: Array<[number, number]> = []
  for (const df of [1, 2, 3, 5, 9.5, 30, 100, 1000, 1e4, 2e5, 1e6])
    for (const t of [-40, -8, -3, -1.96, -0.5, -1e-3, 0.2, 1, 2.5, 6, 12]) ts.push([df, t])
  const expected = python<{ beta: number[]; t: number[] }>(
    `result = {
  "beta": [special.betainc(a, b, x) for a, b, x in data["grid"]],
  "t": [special.stdtr(df, -t) for df, t in data["ts"]],
}`,
    { grid, ts },
  )

  // Boost's ibeta (scipy ≥ 1.12) is the reference; scipy 1.10's cephes is itself off by up to
  // ~1e-10 with shapes near 1e5, so that is the bound.
  it('betaInc matches scipy.special.betainc to 1e-10 relative, values down to 1e-300', () => {
    const misses = grid.filter(
      ([a, b, x], i) => relativeError(betaInc(a, b, x), expected().beta[i] as number) > 1e-10,
    )
    expect(misses).toEqual([])
  })

  it('studentTSf matches scipy.special.stdtr(df, −t) to 1e-11 relative, df up to 1e6', () => {
    const misses = ts.filter(
      ([df, t], i) => relativeError(studentTSf(t, df), expected().t[i] as number) > 1e-11,
    )
    expect(misses).toEqual([])
  })
})
