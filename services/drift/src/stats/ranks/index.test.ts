import { describe, expect, it } from 'vitest'
import { pooledCounts } from './index.ts'

describe('pooledCounts', () => {
  it('lists the distinct pooled values with each sample’s count of them', () => {
    const counts = pooledCounts(Float64Array.of(1, 2, 2, 5), Float64Array.of(2, 3, 5, 5, 5))
    expect(Array.from(counts.values)).toEqual([1, 2, 3, 5])
    expect(Array.from(counts.first)).toEqual([1, 2, 0, 1])
    expect(Array.from(counts.second)).toEqual([0, 1, 1, 3])
  })

  it('copes with an empty sample', () => {
    const counts = pooledCounts(new Float64Array(0), Float64Array.of(4, 4))
    expect(Array.from(counts.values)).toEqual([4])
    expect(Array.from(counts.second)).toEqual([2])
  })
})
