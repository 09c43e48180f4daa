import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { mean, pairwiseSum, sampleVariance } from './index.ts'

describe('pairwiseSum', () => {
  it('sums any length, and a slice', () => {
    for (const n of [0, 1, 7, 8, 9, 128, 129, 1000]) {
      const ones = new Float64Array(n).fill(1)
      expect(pairwiseSum(ones)).toBe(n)
    }
    expect(pairwiseSum([1, 2, 3, 4, 5], 1, 3)).toBe(9)
  })

  it('keeps the small terms a running sum drops', () => {
    // 1 + 2^-53 rounds back to 1 each time in a running sum; in pairs the halves add up first.
    const values = new Float64Array(1024).fill(2 ** -53)
    values[0] = 1
    let running = 0
    for (const v of values) running += v
    expect(running).toBe(1)
    expect(pairwiseSum(values)).toBeGreaterThan(1)
  })

  it('sampleVariance divides by n − 1', () => {
    expect(mean([1, 2, 3, 6])).toBe(3)
    expect(sampleVariance([1, 2, 3, 6])).toBeCloseTo(14 / 3, 14)
  })
})

describeWith(installed('scipy'), 'pairwiseSum and sampleVariance against numpy', () => {
  const r = random(5)
  const samples = [7, 100, 1000, 100_003].map((n) => r.normals(n, 1e4, 3))
  const expected = python<Array<[number, number, number]>>(
    'result = [[float(np.sum(s)), math.fsum(s), float(np.var(s, ddof=1))] for s in map(np.array, data)]',
    samples,
  )

  it.each(samples.map((s, i) => [s.length, s, i] as const))('%i values', (_, s, i) => {
    const [numpy, exact, variance] = expected()[i] as [number, number, number]
    expect(relativeError(pairwiseSum(s), numpy)).toBeLessThan(1e-15)
    expect(relativeError(pairwiseSum(s), exact)).toBeLessThan(1e-15)
    expect(relativeError(sampleVariance(s), variance)).toBeLessThan(1e-12)
  })
})
