import { describe, expect, it } from 'vitest'
import { createRandom } from '../../../../../training/train/index.ts'
import { sortedSample } from './index.ts'
import { radixSortFloat64 } from './radix.ts'

describe('radixSortFloat64', () => {
  it('orders doubles exactly as Float64Array.prototype.sort does, edge values included', () => {
    const random = createRandom(3)
    const generators = [
      () => random.next(),
      () => random.normal() * 1e-3,
      () => (random.next() - 0.5) * 1e300,
      () => Math.floor(random.next() * 50) - 25,
      () => 42,
    ]
    for (const generate of generators) {
      const values = Float64Array.from({ length: 20_000 }, generate)
      values.set(
        [-0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, -5e-324, -1e-308],
        100,
      )
      const expected = new Float64Array(values).sort()
      const sorted = radixSortFloat64(new Float64Array(values))
      expect(Array.from(sorted, (v) => Object.is(v, -0))).toEqual(
        Array.from(expected, (v) => Object.is(v, -0)),
      )
      expect(sorted).toEqual(expected)
    }
  })
})

describe('sortedSample', () => {
  it('refuses NaN whichever end it sorts to, and empty samples', () => {
    const withNaN = Float64Array.from({ length: 10_000 }, (_, i) => i)
    withNaN[10] = Number.NaN
    expect(() => sortedSample(withNaN, 'ks2samp')).toThrow('ks2samp: samples contain NaN')
    // A NaN with its sign bit set sorts before every number.
    const negativeNaN = Float64Array.from({ length: 10_000 }, (_, i) => i)
    const words = new Uint32Array(negativeNaN.buffer)
    words[20] = 0
    words[21] = 0xfff80000
    expect(Number.isNaN(negativeNaN[10])).toBe(true)
    expect(() => sortedSample(negativeNaN, 'ks2samp')).toThrow('ks2samp: samples contain NaN')
    expect(() => sortedSample([], 'ks2samp')).toThrow('must not be empty')
    expect(Array.from(sortedSample([3, -1, 2], 'x'))).toEqual([-1, 2, 3])
  })
})
