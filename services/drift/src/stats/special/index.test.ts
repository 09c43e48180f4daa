import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, relativeError } from '../testing/index.ts'
import { chi2Sf, gammaQ, lnGamma, normalSf } from './index.ts'

describe('special functions', () => {
  it('lnGamma reproduces factorials', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 14)
    expect(lnGamma(11)).toBeCloseTo(Math.log(3_628_800), 12)
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14)
  })

  it('chi2Sf with 2 degrees of freedom is exp(-x/2)', () => {
    for (const x of [0.1, 1, 5, 50, 500]) {
      expect(relativeError(chi2Sf(x, 2), Math.exp(-x / 2))).toBeLessThan(1e-13)
    }
  })

  it('chi2Sf is 1 at 0, 0 at infinity, NaN without degrees of freedom', () => {
    expect(chi2Sf(0, 3)).toBe(1)
    expect(chi2Sf(Number.POSITIVE_INFINITY, 3)).toBe(0)
    expect(chi2Sf(0, 0)).toBeNaN()
  })

  it('normalSf is symmetric about 0', () => {
    expect(normalSf(0)).toBeCloseTo(0.5, 15)
    expect(normalSf(-1.3) + normalSf(1.3)).toBeCloseTo(1, 15)
  })
})

describeWith(installed('scipy'), 'special functions against scipy', () => {
  const shapes = [0.5, 1, 1.5, 2.5, 7, 20, 99.5, 500, 5000, 50_000]
  const grid = shapes.flatMap((a) =>
    [1e-3, 0.1, 0.5, 0.9, 1, 1.1, 2, 5, 20].map((f) => [a, a * f + (f > 1 ? 3 * f : 0)]),
  )
  const zs = [-8, -2, -0.5, 0, 0.3, 1, 1.96, 3, 6, 10, 20, 37]
  const chi = [
    [3.84, 1],
    [0.5, 1],
    [12, 4],
    [250, 200],
    [1e4, 9000],
    [80, 3],
  ]
  const expected = python<{ q: number[]; ln: number[]; norm: number[]; chi: number[] }>(
    `result = {
  "q": [special.gammaincc(a, x) for a, x in data["grid"]],
  "ln": [special.gammaln(a) for a in data["shapes"]],
  "norm": [stats.norm.sf(z) for z in data["zs"]],
  "chi": [stats.chi2.sf(x, df) for x, df in data["chi"]],
}`,
    { grid, shapes, zs, chi },
  )

  it('gammaQ matches scipy.special.gammaincc to 1e-11 relative', () => {
    const misses = grid.filter(
      ([a, x], i) =>
        relativeError(gammaQ(a as number, x as number), expected().q[i] as number) > 1e-11,
    )
    expect(misses).toEqual([])
  })

  it('lnGamma matches scipy.special.gammaln', () => {
    shapes.forEach((a, i) => {
      expect(relativeError(lnGamma(a), expected().ln[i] as number)).toBeLessThan(1e-13)
    })
  })

  it('normalSf matches scipy.stats.norm.sf, deep into the tail', () => {
    zs.forEach((z, i) => {
      expect(relativeError(normalSf(z), expected().norm[i] as number)).toBeLessThan(1e-12)
    })
  })

  it('chi2Sf matches scipy.stats.chi2.sf', () => {
    chi.forEach(([x, df], i) => {
      expect(
        relativeError(chi2Sf(x as number, df as number), expected().chi[i] as number),
      ).toBeLessThan(1e-11)
    })
  })
})
