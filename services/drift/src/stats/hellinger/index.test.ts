import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { hellinger } from './index.ts'

describe('hellinger', () => {
  it('is 0 for the same shares and 1 for disjoint samples', () => {
    expect(hellinger(['a', 'b', 'b'], ['b', 'a', 'b', 'a', 'b', 'b'])).toBeLessThan(1e-7)
    expect(hellinger(['a', 'a'], ['b'])).toBe(1)
    expect(hellinger(Float64Array.of(0, 1, 2), Float64Array.of(10, 11, 12))).toBe(1)
  })

  it('follows the shares: √(1 − Σ √(p·q))', () => {
    // p = (½, ½), q = (¼, ¾): BC = √⅛ + √⅜.
    const expected = Math.sqrt(1 - Math.sqrt(1 / 8) - Math.sqrt(3 / 8))
    expect(hellinger(['x', 'y'], ['x', 'y', 'y', 'y'])).toBeCloseTo(expected, 15)
  })
})

describeWith(installed('scipy'), "hellinger against Evidently's numpy", () => {
  const r = random(31)
  const labels = (codes: Float64Array) => Array.from(codes, (c) => `c${c}`)
  const numerical = [
    { name: 'normal, shifted', ref: r.normals(1000), cur: r.normals(800, 0.3, 1.1) },
    { name: 'unequal sizes, wide', ref: r.normals(100_000, 5, 3), cur: r.normals(30_000, 5.2, 3) },
    { name: 'ties', ref: r.integers(5000, 40), cur: r.integers(4000, 45) },
    { name: 'disjoint-ish ranges', ref: r.normals(300), cur: r.normals(300, 4) },
  ]
  const categorical = [
    { name: 'shifted shares', ref: labels(r.integers(900, 4)), cur: labels(r.integers(300, 6)) },
    {
      name: 'missing categories',
      ref: labels(r.integers(2000, 8)),
      cur: labels(r.integers(1500, 5)),
    },
    {
      name: 'integer categories',
      ref: Array.from(r.integers(500, 3)),
      cur: Array.from(r.integers(400, 4)),
    },
  ]
  // Evidently's _hellinger_distance, but for pandas.
  const expected = python<{ numerical: number[]; categorical: number[] }>(
    `
from collections import Counter
from math import sqrt
def numerical(ref, cur):
    ref, cur = np.asarray(ref), np.asarray(cur)
    keys = list(set(np.unique(ref)) | set(np.unique(cur)))
    bins = np.histogram_bin_edges(keys, bins="sturges")
    h1 = np.histogram(ref, bins=bins, density=True)[0]
    h2 = np.histogram(cur, bins=bins, density=True)[0]
    width = (max(bins) - min(bins)) / (len(bins) - 1)
    h = 0.0
    for i in range(len(h1)):
        h += sqrt(h1[i] * h2[i]) * width
    return sqrt(1 - np.clip(h, 0, 1))
def categorical(ref, cur):
    rc, cc = Counter(ref), Counter(cur)
    h = 0.0
    for key in set(ref) | set(cur):
        p1, p2 = rc[key] / len(ref), cc[key] / len(cur)
        h += sqrt(p1 * p2)
    return sqrt(1 - np.clip(h, 0, 1))
result = {
    "numerical": [numerical(s["ref"], s["cur"]) for s in data["numerical"]],
    "categorical": [categorical(s["ref"], s["cur"]) for s in data["categorical"]],
}
`,
    { numerical, categorical },
  )

  it.each(numerical.map((s, i) => [s.name, s, i] as const))(
    'numerical: %s',
    (_, { ref, cur }, i) => {
      expect(relativeError(hellinger(ref, cur), expected().numerical[i] as number)).toBeLessThan(
        1e-12,
      )
    },
  )

  it.each(categorical.map((s, i) => [s.name, s, i] as const))(
    'categorical: %s',
    (_, { ref, cur }, i) => {
      expect(relativeError(hellinger(ref, cur), expected().categorical[i] as number)).toBeLessThan(
        1e-12,
      )
    },
  )
})
