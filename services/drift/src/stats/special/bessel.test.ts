import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, relativeError } from '../testing/index.ts'
import { besselKScaled } from './index.ts'

describe('besselKScaled', () => {
  it('has the closed form √(π / 2x) at ν = ½', () => {
    for (const x of [0.01, 0.5, 3, 40, 900]) {
      expect(relativeError(besselKScaled(0.5, x), Math.sqrt(Math.PI / (2 * x)))).toBeLessThan(1e-14)
    }
  })

  it('is infinite at 0 and NaN below', () => {
    expect(besselKScaled(0.25, 0)).toBe(Number.POSITIVE_INFINITY)
    expect(besselKScaled(0.25, -1)).toBeNaN()
  })
})

describeWith(installed('scipy'), 'besselKScaled against scipy.special.kve', () => {
  const points: Array<[number, number]> = []
  for (const nu of [0, 0.25, 1, 2.5])
    for (const x of [1e-5, 0.003, 0.05, 0.3, 1, 2, 4.5, 10, 33, 100, 500, 3000])
      points.push([nu, x])
  const expected = python<number[]>('result = [special.kve(nu, x) for nu, x in data]', points)

  it('matches to 1e-13 relative', () => {
    const misses = points.filter(
      ([nu, x], i) => relativeError(besselKScaled(nu, x), expected()[i] as number) > 1e-13,
    )
    expect(misses).toEqual([])
  })
})
