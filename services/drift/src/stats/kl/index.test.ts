import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, relativeError } from '../testing/index.ts'
import { klDivergence, relEntr } from './index.ts'

describe('klDivergence', () => {
  it('normalises both vectors first', () => {
    expect(klDivergence([1, 1], [3, 1])).toBeCloseTo(0.5 * Math.log(2 / 3) + 0.5 * Math.log(2), 15)
    expect(klDivergence([2, 6], [1, 3])).toBe(0)
  })

  it('is infinite where q has no mass but p has', () => {
    expect(klDivergence([1, 1], [1, 0])).toBe(Number.POSITIVE_INFINITY)
  })

  it('rel_entr takes 0 · ln(0 / y) as 0', () => {
    expect(relEntr(0, 0.3)).toBe(0)
    expect(relEntr(0, 0)).toBe(0)
  })
})

describeWith(installed('scipy'), 'klDivergence against scipy.stats.entropy', () => {
  const cases = [
    [
      [0.1, 0.2, 0.7],
      [0.3, 0.3, 0.4],
    ],
    [
      [0, 3, 5, 2],
      [1, 4, 1, 5],
    ],
    [
      [0.0001, 0.5, 0.4999],
      [0.3, 0.0001, 0.6999],
    ],
  ]
  const expected = python<number[]>('result = [stats.entropy(p, q) for p, q in data]', cases)

  it('matches scipy.stats.entropy(p, q)', () => {
    cases.forEach(([p, q], i) => {
      expect(
        relativeError(klDivergence(p as number[], q as number[]), expected()[i] as number),
      ).toBeLessThan(1e-12)
    })
  })
})
