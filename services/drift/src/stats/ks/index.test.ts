import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { ks2samp, kstwoSf, smirnovSf } from './index.ts'

describe('ks2samp', () => {
  it('evaluates both ECDFs after each distinct value, so ties do not inflate the statistic', () => {
    // Stepping through the pooled sample one element at a time would see F1 - F2 = 1 inside
    // the run of 1s; after the whole run it is 1 - 1/3.
    expect(ks2samp([1, 1, 1], [1, 2, 3]).statistic).toBeCloseTo(2 / 3, 15)
  })

  it('gives the exact tail of fully separated samples: 2 / C(6, 3)', () => {
    const result = ks2samp([1, 2, 3], [4, 5, 6])
    expect(result).toEqual({ statistic: 1, pValue: expect.closeTo(0.1, 15), method: 'exact' })
  })

  it('gives p = 1 when the ECDFs coincide', () => {
    expect(ks2samp([3, 1, 2, 2], [2, 1, 3, 2])).toEqual({
      statistic: 0,
      pValue: 1,
      method: 'exact',
    })
  })

  it('counts paths exactly up to n = 10000 and uses the Kolmogorov distribution above', () => {
    const r = random(3)
    expect(ks2samp(r.normals(10_000), r.normals(50)).method).toBe('exact')
    expect(ks2samp(r.normals(10_001), r.normals(50)).method).toBe('asymp')
  })

  it('rejects empty samples and NaN', () => {
    expect(() => ks2samp([], [1])).toThrow(/empty/)
    expect(() => ks2samp([1, Number.NaN], [1])).toThrow(/NaN/)
  })

  it('tests two samples of 1,000,000 values in well under a second', () => {
    const r = random(11)
    const x = r.normals(1_000_000)
    const y = r.normals(1_000_000, 0.01)
    const started = performance.now()
    const result = ks2samp(x, y)
    const elapsed = performance.now() - started
    expect(result.method).toBe('asymp')
    expect(result.pValue).toBeLessThan(1e-6)
    expect(elapsed).toBeLessThan(1000)
  })
})

describeWith(installed('scipy'), 'ks2samp against scipy.stats.ks_2samp', () => {
  const r = random(42)
  const cases: Array<{ name: string; x: Float64Array; y: Float64Array; method: string }> = []
  const add = (name: string, x: Float64Array, y: Float64Array) =>
    cases.push({ name, x, y, method: Math.max(x.length, y.length) <= 10_000 ? 'exact' : 'asymp' })
  for (const [n1, n2] of [
    [1, 1],
    [1, 6],
    [2, 3],
    [5, 7],
    [10, 10],
    [37, 53],
    [100, 7],
    [250, 250],
    [1000, 999],
    [3000, 4000],
    [10_000, 7000],
  ] as const) {
    add(`normal ${n1}×${n2}`, r.normals(n1), r.normals(n2))
    add(`shifted ${n1}×${n2}`, r.normals(n1), r.normals(n2, 0.4))
  }
  for (const [n1, n2, k] of [
    [8, 12, 3],
    [40, 30, 5],
    [500, 700, 10],
    [5000, 8000, 20],
    [50_000, 60_000, 30],
  ] as const) {
    add(`ties ${n1}×${n2} over ${k} values`, r.integers(n1, k), r.integers(n2, k))
  }
  add('tiny exact p-value', r.normals(300), r.normals(200, 1.5))
  add('asymptotic 12000×15000', r.normals(12_000), r.normals(15_000, 0.03))
  add('asymptotic 20000×20000', r.normals(20_000), r.normals(20_000, 0.02))
  // n1·n2/(n1+n2) = 10000.5: numpy rounds half to even.
  add('asymptotic 20001×20001', r.normals(20_001), r.normals(20_001))
  add('asymptotic 100000×100000', r.normals(100_000), r.normals(100_000, 0.01))
  add('asymptotic tiny p-value', r.normals(100_000), r.normals(100_000, 0.1))
  add('asymptotic 100000×13', r.normals(100_000), r.normals(13, 0.5))
  add('asymptotic 20000×300', r.normals(20_000), r.normals(300, 0.1))

  const expected = python<Array<[number, number]>>(
    'result = [list(stats.ks_2samp(c["x"], c["y"])[:2]) for c in data]',
    cases.map(({ x, y }) => ({ x, y })),
  )

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_, { x, y, method }, i) => {
    const [statistic, pValue] = expected()[i] as [number, number]
    const result = ks2samp(x, y)
    expect(result.method).toBe(method)
    expect(result.statistic).toBeCloseTo(statistic, 14)
    expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-9)
  })

  it('reaches p-values far below 1e-6 in both modes, still to 1e-9 relative', () => {
    const tiny = expected()
      .map(([, p]) => p)
      .filter((p) => p < 1e-20)
    expect(tiny.length).toBeGreaterThanOrEqual(2)
  })
})

describeWith(installed('scipy'), 'Kolmogorov distributions against scipy', () => {
  // Covers every branch of scipy's kolmogn: Ruben–Gambino tails, Durbin matrix, Pomeranz,
  // Pelz–Good, Smirnov's formula, and the n > 10^6 approximation.
  const points: Array<[number, number]> = []
  const sizes = [1, 2, 3, 5, 10, 50, 100, 140, 141, 200, 1000, 5000, 50_000, 100_000, 100_001]
  for (const n of [...sizes, 2_000_000]) {
    for (const z of [0.2, 0.4, 0.6, 0.8, 0.9, 1, 1.2, 1.4, 1.8, 2.2, 3, 4, 6, 10, 14]) {
      if (z / Math.sqrt(n) < 1) points.push([n, z / Math.sqrt(n)])
    }
    for (const d of [
      0.5 / n,
      0.7 / n,
      1 / n,
      1.5 / n,
      0.3,
      0.5,
      0.6,
      0.9,
      1 - 1 / n,
      1 - 0.5 / n,
    ]) {
      if (d > 0 && d < 1) points.push([n, d])
    }
  }
  // The size 10^6 × 10^6 samples reach; scipy takes ~0.5 s per point here, so only a few.
  for (const z of [1, 2.2, 4]) points.push([400_000, z / Math.sqrt(400_000)])
  const scipy = python<[number[], number[]]>(
    `result = [[float(stats.kstwo.sf(d, n)) for n, d in data],
               [float(special.smirnov(n, d)) for n, d in data]]`,
    points,
  )

  it('kstwoSf matches scipy.stats.kstwo.sf to 1e-9 relative', () => {
    const misses = points.filter(
      ([n, d], i) => relativeError(kstwoSf(n, d), scipy()[0][i] as number) > 1e-9,
    )
    expect(misses).toEqual([])
  })

  it('smirnovSf matches scipy.special.smirnov to 1e-9 relative', () => {
    const misses = points.filter(
      ([n, d], i) => relativeError(smirnovSf(n, d), scipy()[1][i] as number) > 1e-9,
    )
    expect(misses).toEqual([])
  })
})
