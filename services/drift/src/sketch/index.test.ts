import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ks2samp } from '../stats/index.ts'
import { random } from '../stats/testing/index.ts'
import {
  BoundedCounts,
  Kll,
  type KllJson,
  normalizedRankError,
  OVERFLOW_CATEGORY,
  Random,
  Reservoir,
  ReservoirSlots,
  sketchKsTest,
  unionSlots,
} from './index.ts'

const dataFile = (name: string) =>
  fileURLToPath(new URL(`../../../../node_modules/vega-datasets/data/${name}`, import.meta.url))

const sketchOf = (values: ArrayLike<number>, k = 200, seed = 0) => {
  const sketch = new Kll(k, seed)
  for (let i = 0; i < values.length; i++) sketch.update(values[i] as number)
  return sketch
}

/**
 * Exact normalized ranks of `values` at each query — the share ≤ it, or < it — from one walk
 * through the sorted values and the sorted queries together.
 */
function exactRanks(values: ArrayLike<number>, queries: number[], inclusive = true) {
  const sorted = Float64Array.from(values).sort()
  const ranks = new Map<number, number>()
  let below = 0
  for (const q of [...new Set(queries)].sort((a, b) => a - b)) {
    for (; below < sorted.length; below++) {
      const value = sorted[below] as number
      if (inclusive ? value > q : value >= q) break
    }
    ranks.set(q, below / sorted.length)
  }
  return (q: number) => ranks.get(q) as number
}

const sortedCopy = (values: ArrayLike<number>) => Float64Array.from(values).sort()

/**
 * The largest rank error over probes at every 0.1% of the data, for rank(x) and for quantile(r):
 * a quantile is right to within ε when its exact ranks bracket r ± ε.
 */
function maxErrors(sketch: Kll, values: ArrayLike<number>) {
  const sorted = sortedCopy(values)
  const grid = Array.from({ length: 1001 }, (_, p) => p / 1000)
  const probes = grid.map(
    (r) => sorted[Math.min(sorted.length - 1, Math.floor(r * sorted.length))] as number,
  )
  const quantiles = grid.map((r) => sketch.quantile(r))
  const atMost = exactRanks(sorted, [...probes, ...quantiles])
  const below = exactRanks(sorted, quantiles, false)
  let rankError = 0
  let quantileError = 0
  grid.forEach((r, p) => {
    rankError = Math.max(
      rankError,
      Math.abs(sketch.rank(probes[p] as number) - atMost(probes[p] as number)),
    )
    const q = quantiles[p] as number
    quantileError = Math.max(quantileError, below(q) - r, r - atMost(q))
  })
  return { rankError, quantileError }
}

const normals = random(7).normals(1_000_000)
const lognormals = normals.map((x) => Math.exp(0.5 + 1.2 * x))
const flights = JSON.parse(readFileSync(dataFile('flights-200k.json'), 'utf8')) as Array<{
  delay: number
  distance: number
}>
const weatherLines = readFileSync(dataFile('seattle-weather.csv'), 'utf8').trim().split('\n')
const weatherColumn = (name: string) => {
  const c = (weatherLines[0] as string).split(',').indexOf(name)
  return Float64Array.from(weatherLines.slice(1), (line) => Number(line.split(',')[c]))
}

describe('Kll', () => {
  it('is exact while it holds every value (n ≤ k), with both search criteria', () => {
    // 1..100 out of order: i ↦ 37i mod 100 is a permutation.
    const sketch = sketchOf(Array.from({ length: 100 }, (_, i) => ((37 * i) % 100) + 1))
    expect(sketch).toMatchObject({ n: 100, min: 1, max: 100, retained: 100, isEstimating: false })
    expect(sketch.rank(50)).toBe(0.5)
    expect(sketch.rank(50, false)).toBe(0.49)
    expect(sketch.rank(0.5)).toBe(0)
    expect(sketch.rank(1000)).toBe(1)
    expect(sketch.quantile(0.5)).toBe(50)
    expect(sketch.quantile(0.5, false)).toBe(51)
    expect(sketch.quantile(0)).toBe(1)
    expect(sketch.quantile(1)).toBe(100)
    expect(sketch.cdf([10, 50.5, 90])).toEqual([0.1, 0.5, 0.9, 1])
  })

  it.each([
    ['a million seeded normals', normals],
    ['a million seeded lognormals', lognormals],
    ['flight delays (200k, 471 distinct values)', Float64Array.from(flights, (f) => f.delay)],
    ['flight distances (200k)', Float64Array.from(flights, (f) => f.distance)],
    ['Seattle daily maximum temperatures', weatherColumn('temp_max')],
  ])('ranks and quantiles %s within the single-sided rank error', (_, values) => {
    const sketch = sketchOf(values)
    const epsilon = sketch.normalizedRankError(false)
    const { rankError, quantileError } = maxErrors(sketch, values)
    expect(rankError).toBeLessThanOrEqual(epsilon)
    expect(quantileError).toBeLessThanOrEqual(epsilon)
    const view = sketch.sortedView()
    expect(view.cumWeights[view.cumWeights.length - 1]).toBe(values.length)
    const sorted = sortedCopy(values)
    expect(sketch.quantile(0)).toBe(sorted[0])
    expect(sketch.quantile(1)).toBe(sorted[sorted.length - 1])
  })

  it('keeps O(k log n) items: a few hundred for k = 200 over a million values', () => {
    const sketch = sketchOf(normals)
    expect(sketch.isEstimating).toBe(true)
    expect(sketch.retained).toBeGreaterThan(200)
    expect(sketch.retained).toBeLessThan(800)
  })

  it('gives the CDF at split points within the error, with exclusive ranks on request', () => {
    const values = weatherColumn('temp_max')
    const sketch = sketchOf(values)
    const points = [0, 5.6, 10, 15.6, 20, 30]
    const epsilon = sketch.normalizedRankError(false)
    for (const inclusive of [true, false]) {
      const exact = exactRanks(values, points, inclusive)
      const cdf = sketch.cdf(points, inclusive)
      expect(cdf.pop()).toBe(1)
      cdf.forEach((r, i) => {
        expect(Math.abs(r - exact(points[i] as number))).toBeLessThanOrEqual(epsilon)
      })
    }
    expect(() => sketch.cdf([1, 1])).toThrow(RangeError)
    expect(() => sketch.cdf([2, 1])).toThrow(RangeError)
    expect(() => sketch.cdf([Number.NaN])).toThrow(RangeError)
  })

  it('merges into a sketch of the union within the error', () => {
    const parts = Array.from({ length: 10 }, (_, p) => {
      const part = normals.filter((_, i) => i % 10 === p)
      return sketchOf(part, 200, p)
    })
    const merged = new Kll(200, 99)
    for (const part of parts) merged.merge(part)
    expect(merged.n).toBe(normals.length)
    const sorted = sortedCopy(normals)
    expect(merged.min).toBe(sorted[0])
    expect(merged.max).toBe(sorted[sorted.length - 1])
    const { rankError, quantileError } = maxErrors(merged, normals)
    expect(rankError).toBeLessThanOrEqual(merged.normalizedRankError(false))
    expect(quantileError).toBeLessThanOrEqual(merged.normalizedRankError(false))
    expect(parts[0]?.n).toBe(100_000)
  })

  it('merges exact sketches exactly, and leaves both alone when one is empty', () => {
    const a = sketchOf([1, 2, 3])
    const b = sketchOf([4, 5])
    a.merge(b)
    expect(a).toMatchObject({ n: 5, min: 1, max: 5, retained: 5 })
    expect(a.quantile(0.6)).toBe(3)
    const before = JSON.stringify(a.toJSON())
    a.merge(new Kll())
    expect(JSON.stringify(a.toJSON())).toBe(before)
    const empty = new Kll()
    empty.merge(a)
    expect(empty).toMatchObject({ n: 5, min: 1, max: 5 })
    empty.merge(empty)
    expect(empty).toMatchObject({ n: 10, retained: 10 })
    expect(empty.rank(3)).toBe(0.6)
  })

  it('takes the error of the smallest k merged in once that sketch is estimating', () => {
    const coarse = sketchOf(normals.subarray(0, 10_000), 50)
    const fine = sketchOf(normals.subarray(10_000, 20_000), 200)
    fine.merge(coarse)
    expect(fine.normalizedRankError()).toBe(normalizedRankError(50))
    expect(fine.n).toBe(20_000)
  })

  it('states DataSketches’ error for k: 1.65% double-sided, 1.33% single-sided at k = 200', () => {
    expect(new Kll().normalizedRankError()).toBeCloseTo(0.01652, 5)
    expect(new Kll().normalizedRankError(false)).toBeCloseTo(0.01329, 5)
    expect(normalizedRankError(100)).toBeCloseTo(2.446 / 100 ** 0.9433, 15)
  })

  it('ignores NaN and ±Infinity', () => {
    const sketch = sketchOf([1, Number.NaN, 2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
    expect(sketch).toMatchObject({ n: 2, min: 1, max: 2 })
  })

  it('rejects ranks outside [0, 1] and questions to an empty sketch', () => {
    const sketch = sketchOf([1])
    expect(() => sketch.quantile(1.5)).toThrow(RangeError)
    expect(() => sketch.quantile(Number.NaN)).toThrow(RangeError)
    expect(() => new Kll().quantile(0.5)).toThrow('empty')
    expect(new Kll().min).toBeNaN()
    expect(() => new Kll(7)).toThrow(RangeError)
  })

  it('compacts with seeded coin flips: same seed, same sketch; another seed, another', () => {
    const data = normals.subarray(0, 50_000)
    expect(sketchOf(data, 200, 3).toJSON()).toEqual(sketchOf(data, 200, 3).toJSON())
    expect(sketchOf(data, 200, 3).toJSON().items).not.toEqual(sketchOf(data, 200, 4).toJSON().items)
  })

  it('round-trips through JSON, and the copy goes on exactly as the original would', () => {
    for (const values of [[], [2.5], normals.subarray(0, 100), normals.subarray(0, 123_457)]) {
      const original = sketchOf(values, 200, 11)
      const restored = Kll.fromJSON(JSON.parse(JSON.stringify(original)))
      expect(restored.toJSON()).toEqual(original.toJSON())
      for (const x of normals.subarray(500_000, 530_000)) {
        original.update(x)
        restored.update(x)
      }
      expect(restored.toJSON()).toEqual(original.toJSON())
      expect(restored.quantile(0.25)).toBe(original.quantile(0.25))
    }
  })

  it('copies exactly, and the copy is independent', () => {
    const original = sketchOf(normals.subarray(0, 50_000), 200, 5)
    const copy = original.clone()
    expect(copy.toJSON()).toEqual(original.toJSON())
    copy.update(100)
    expect(copy.max).toBe(100)
    expect(original.max).toBeLessThan(100)
    original.reset()
    expect(original).toMatchObject({ n: 0, retained: 0 })
    expect(copy.n).toBe(50_001)
  })

  it('refuses JSON no sketch could have written', () => {
    const json = sketchOf(normals.subarray(0, 5000)).toJSON()
    const bad: Array<Partial<KllJson>> = [
      { n: json.n + 1 },
      { items: json.items.slice(1) },
      { items: [Number.NaN, ...json.items.slice(1)] },
      { min_k: 4 },
      { max: null },
      { random: -1 },
      { k: 3 },
    ]
    for (const change of bad) {
      expect(() => Kll.fromJSON({ ...json, ...change } as KllJson)).toThrow(RangeError)
    }
  })
})

describe('sketchKsTest', () => {
  const sample = (seed: number, n: number, mean: number) => random(seed).normals(n, mean)

  it.each([
    ['the same distribution', 0],
    ['a small shift', 0.05],
    ['a large shift', 0.5],
  ])('has a statistic within both sketches’ errors of ks2samp’s, for %s', (_, shift) => {
    const a = sample(21, 20_000, 0)
    const b = sample(22, 30_000, shift)
    const result = sketchKsTest(sketchOf(a, 200, 1), sketchOf(b, 200, 2))
    const exact = ks2samp(a, b).statistic
    const epsilon = 2 * new Kll().normalizedRankError(false)
    expect(Math.abs(result.statistic - exact)).toBeLessThanOrEqual(epsilon)
  })

  it('drifts for a large shift, not for the same distribution, at DataSketches’ threshold', () => {
    const reference = sketchOf(sample(31, 50_000, 0), 200, 1)
    const same = sketchKsTest(reference, sketchOf(sample(32, 50_000, 0), 200, 2))
    const shifted = sketchKsTest(reference, sketchOf(sample(33, 50_000, 0.5), 200, 3))
    expect(same.drifted).toBe(false)
    expect(shifted.drifted).toBe(true)
    const other = sketchOf(sample(32, 50_000, 0), 200, 2)
    const r1 = reference.retained
    const r2 = other.retained
    expect(same.threshold).toBeCloseTo(
      Math.sqrt(-0.5 * Math.log(0.025)) * Math.sqrt((r1 + r2) / (r1 * r2)) +
        reference.normalizedRankError(false) +
        other.normalizedRankError(false),
      12,
    )
    expect(sketchKsTest(reference, other, 0.5).threshold).toBeLessThan(same.threshold)
  })

  it('compares Seattle winters with summers as drifted, alternate days as not', () => {
    const temps = weatherColumn('temp_max')
    const months = weatherLines.slice(1).map((line) => Number(line.slice(5, 7)))
    const pick = (keep: (i: number) => boolean) => sketchOf(temps.filter((_, i) => keep(i)))
    const winter = pick((i) => [12, 1, 2].includes(months[i] as number))
    const summer = pick((i) => [6, 7, 8].includes(months[i] as number))
    expect(sketchKsTest(winter, summer).drifted).toBe(true)
    expect(
      sketchKsTest(
        pick((i) => i % 2 === 0),
        pick((i) => i % 2 === 1),
      ).drifted,
    ).toBe(false)
  })

  it('rejects p-values outside (0, 1)', () => {
    expect(() => sketchKsTest(sketchOf([1]), sketchOf([2]), 0)).toThrow(RangeError)
  })
})

describe('Reservoir', () => {
  it('keeps everything up to its capacity, then exactly capacity items', () => {
    const reservoir = new Reservoir<number>(10, 1)
    for (let i = 0; i < 7; i++) reservoir.offer(i)
    expect([...reservoir.sample].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6])
    for (let i = 7; i < 1000; i++) reservoir.offer(i)
    expect(reservoir.seen).toBe(1000)
    expect(reservoir.sample).toHaveLength(10)
    expect(new Set(reservoir.sample).size).toBe(10)
  })

  it('keeps each item with the same probability', () => {
    const trials = 4000
    const kept = new Float64Array(20)
    for (let seed = 0; seed < trials; seed++) {
      const reservoir = new Reservoir<number>(5, seed)
      for (let i = 0; i < 20; i++) reservoir.offer(i)
      for (const item of reservoir.sample) kept[item] = (kept[item] as number) + 1
    }
    // Each share is 5/20; 0.04 is six standard deviations of a share over 4000 trials.
    for (const count of kept) expect(Math.abs(count / trials - 0.25)).toBeLessThan(0.04)
  })

  it('merges into a uniform sample of the union, each side weighted by what it saw', () => {
    let fromA = 0
    const trials = 300
    for (let seed = 0; seed < trials; seed++) {
      const a = new Reservoir<number>(100, seed)
      const b = new Reservoir<number>(100, seed + 10_000)
      for (let i = 0; i < 1000; i++) a.offer(i)
      for (let i = 1000; i < 4000; i++) b.offer(i)
      a.merge(b)
      expect(a.seen).toBe(4000)
      expect(new Set(a.sample).size).toBe(100)
      fromA += a.sample.filter((item) => item < 1000).length
      a.offer(4000)
      expect(a.seen).toBe(4001)
      expect(a.sample).toHaveLength(100)
    }
    expect(fromA / (trials * 100)).toBeCloseTo(0.25, 1)
  })

  it('merges small reservoirs into all of both', () => {
    const a = new Reservoir<string>(10, 1)
    const b = new Reservoir<string>(10, 2)
    for (const item of ['a', 'b']) a.offer(item)
    for (const item of ['c', 'd', 'e']) b.offer(item)
    a.merge(b)
    expect([...a.sample].sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(() => a.merge(new Reservoir<string>(5))).toThrow(RangeError)
  })
})

describe('unionSlots', () => {
  const slots = (capacity: number, seen: number, seed: number) => {
    const source = new ReservoirSlots(capacity, new Random(seed))
    for (let i = 0; i < seen; i++) source.next()
    return source
  }

  it('takes sorted, distinct slots from each source, as many as the union sample needs', () => {
    const sources = [slots(50, 50, 1), slots(50, 10, 2), slots(50, 0, 3), slots(50, 40, 4)]
    const picks = unionSlots(sources, 60, new Random(5))
    expect(picks.reduce((sum, p) => sum + p.length, 0)).toBe(60)
    picks.forEach((pick, s) => {
      expect(pick.length).toBeLessThanOrEqual(sources[s]?.size as number)
      expect(pick).toEqual([...new Set(pick)].sort((a, b) => a - b))
    })
    expect(picks[2]).toEqual([])
    expect(unionSlots(sources, 1000, new Random(5)).map((p) => p.length)).toEqual([50, 10, 0, 40])
  })

  it('refuses a source too small for its draw', () => {
    expect(() => unionSlots([slots(5, 1000, 1)], 100, new Random(1))).toThrow(RangeError)
  })
})

describe('BoundedCounts', () => {
  it('counts exactly up to the cap, then counts new values under the overflow key', () => {
    const counts = new BoundedCounts(2)
    for (const value of ['a', 'b', 'a', 'c', 'd', 'b', 'c']) counts.add(value)
    expect(counts.toMap()).toEqual(
      new Map([
        ['a', 2],
        ['b', 2],
        [OVERFLOW_CATEGORY, 3],
      ]),
    )
    expect(counts).toMatchObject({ total: 7, overflow: 3, distinct: 2 })
  })

  it('merges under its own cap', () => {
    const a = new BoundedCounts(2)
    const b = new BoundedCounts(2)
    a.add('x', 3)
    b.add('y')
    b.add('z', 4)
    a.merge(b)
    expect(Object.fromEntries(a.toMap())).toEqual({ x: 3, y: 1, [OVERFLOW_CATEGORY]: 4 })
    expect(a.total).toBe(8)
    a.reset()
    expect(a.toMap().size).toBe(0)
  })
})

describe('Random', () => {
  it('replays from a saved state', () => {
    const a = new Random(9)
    a.uint32()
    const b = new Random()
    b.state = a.state
    expect([a.uint32(), a.uniform(), a.below(10)]).toEqual([b.uint32(), b.uniform(), b.below(10)])
    expect(new Random(1).uint32()).not.toBe(new Random(2).uint32())
  })
})
