import { describe, expect, it } from 'vitest'
import { niceEdges, niceStep, niceTicks } from './index.ts'

describe('niceStep', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.2, 2.1, 4.9, 5.1, 333, 0.00031].map(niceStep)).toEqual([
      1, 1, 2, 5, 5, 10, 500, 0.0005,
    ])
    expect(niceStep(0)).toBe(1)
    expect(niceStep(Number.NaN)).toBe(1)
  })
})

describe('niceEdges', () => {
  it('covers the range with round, equal bins, about as many as asked', () => {
    const edges = niceEdges(2700, 6300, 9)
    expect(edges).toEqual([2500, 3000, 3500, 4000, 4500, 5000, 5500, 6000, 6500])
    expect(niceEdges(0.1, 0.7, 6)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
  })

  it('ends on a maximum that is a round edge, and gives one value a bin around it', () => {
    expect(niceEdges(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10])
    expect(niceEdges(3, 3, 8)).toEqual([2.5, 3.5])
  })

  it('gives a range wider than a double spans one bin, and refuses a range that is none', () => {
    expect(niceEdges(-1e308, 1e308, 10)).toEqual([-1e308, 1e308])
    expect(() => niceEdges(1, 0, 3)).toThrow(RangeError)
    expect(() => niceEdges(0, Number.POSITIVE_INFINITY, 3)).toThrow(RangeError)
  })
})

describe('niceTicks', () => {
  it('labels round values inside the range', () => {
    expect(niceTicks(2713.4, 4049.9, 8)).toEqual([2800, 3000, 3200, 3400, 3600, 3800, 4000])
    expect(niceTicks(5, 5, 4)).toEqual([5])
  })
})
