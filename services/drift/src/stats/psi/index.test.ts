import { describe, expect, it } from 'vitest'
import { psi } from './index.ts'

describe('psi', () => {
  it('sums (r - c) · ln(r / c) over the bins', () => {
    expect(psi([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(
      0.25 * Math.log(2) - 0.25 * Math.log(2 / 3),
      15,
    )
  })

  it('is 0 for equal shares and symmetric in its arguments', () => {
    expect(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0)
    expect(psi([0.1, 0.9], [0.4, 0.6])).toBeCloseTo(psi([0.4, 0.6], [0.1, 0.9]), 15)
  })

  it('is the symmetrised KL divergence, KL(r‖c) + KL(c‖r)', () => {
    const r = [0.1, 0.6, 0.3]
    const c = [0.3, 0.3, 0.4]
    const kl = (p: number[], q: number[]) =>
      p.reduce((s, v, i) => s + v * Math.log(v / (q[i] as number)), 0)
    expect(psi(r, c)).toBeCloseTo(kl(r, c) + kl(c, r), 15)
  })

  it('rejects vectors of different lengths', () => {
    expect(() => psi([1], [0.5, 0.5])).toThrow(RangeError)
  })
})
