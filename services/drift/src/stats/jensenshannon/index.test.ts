import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, relativeError } from '../testing/index.ts'
import { jensenShannon } from './index.ts'

describe('jensenShannon', () => {
  it('is 0 for equal distributions and sqrt(ln 2) for disjoint ones', () => {
    expect(jensenShannon([1, 2, 3], [2, 4, 6])).toBe(0)
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.LN2), 15)
    expect(jensenShannon([1, 0], [0, 1], 2)).toBeCloseTo(1, 15)
  })

  it('is symmetric', () => {
    expect(jensenShannon([0.2, 0.8], [0.6, 0.4])).toBeCloseTo(
      jensenShannon([0.6, 0.4], [0.2, 0.8]),
      15,
    )
  })
})

describeWith(installed('scipy'), 'jensenShannon against scipy.spatial.distance', () => {
  const cases = [
    { p: [0.1, 0.2, 0.7], q: [0.3, 0.3, 0.4] },
    { p: [5, 0, 3, 2], q: [1, 4, 0, 5] },
    { p: [0.25, 0.25, 0.25, 0.25], q: [0.2499, 0.2501, 0.25, 0.25], base: 2 },
    {
      p: Array.from({ length: 30 }, (_, i) => i + 1),
      q: Array.from({ length: 30 }, (_, i) => 30 - i),
    },
  ]
  const expected = python<number[]>(
    'result = [spatial.distance.jensenshannon(c["p"], c["q"], c.get("base")) for c in data]',
    cases,
  )

  // Close distributions cancel: older scipy (plain log in rel_entr, e.g. 1.10) differs by ~1e-9.
  it('matches scipy.spatial.distance.jensenshannon, natural log unless a base is given', () => {
    cases.forEach(({ p, q, base }, i) => {
      expect(relativeError(jensenShannon(p, q, base), expected()[i] as number)).toBeLessThan(2e-9)
    })
  })
})
