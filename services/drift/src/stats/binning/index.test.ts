import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random } from '../testing/index.ts'
import { binnedShares, categoryCounts, countDistinct, histogram, sturgesEdges } from './index.ts'

describe('categoryCounts', () => {
  it('counts each value over the union of both samples, zero where a sample lacks it', () => {
    const counts = categoryCounts(['a', 'b', 'a', 1], ['c', 'a', 1, 1])
    expect(counts.keys).toEqual(['a', 'b', 1, 'c'])
    expect([...counts.reference]).toEqual([2, 1, 1, 0])
    expect([...counts.current]).toEqual([1, 0, 2, 1])
  })

  it('keeps the number 1 and the string "1" apart, as pandas does', () => {
    expect(categoryCounts([1, '1'], []).keys).toEqual([1, '1'])
  })
})

describe('binnedShares', () => {
  it('counts values instead of binning when the reference has at most 20 distinct values', () => {
    const reference = Float64Array.from({ length: 100 }, (_, i) => i % 20)
    const current = Float64Array.from({ length: 50 }, (_, i) => i % 25)
    const shares = binnedShares(reference, current, false)
    expect(shares.reference.length).toBe(25)
    expect(shares.reference.reduce((a, b) => a + b)).toBeCloseTo(1, 12)
  })

  it('bins over both samples once the reference has 21 distinct values', () => {
    const reference = Float64Array.from({ length: 100 }, (_, i) => i % 21)
    const shares = binnedShares(reference, Float64Array.of(1000), false)
    // Sturges over 101 pooled values: ⌈log2(101) + 1⌉ = 8 bins.
    expect(shares.reference.length).toBe(8)
    expect([...shares.current]).toEqual([0, 0, 0, 0, 0, 0, 0, 1])
  })

  it('fills empty bins with 0.0001, or a millionth of the smallest share when that is smaller', () => {
    const coarse = binnedShares(['a', 'a', 'b'], ['a', 'c'])
    expect([...coarse.reference]).toEqual([2 / 3, 1 / 3, 0.0001])
    expect([...coarse.current]).toEqual([0.5, 0.0001, 0.5])
    const fine = binnedShares(['a', ...Array<string>(19_999).fill('b')], ['c'])
    expect(fine.reference[2]).toBeCloseTo(1 / 20_000 / 1e6, 20)
  })
})

describe('countDistinct', () => {
  it('counts across samples and stops once past the cap', () => {
    expect(
      countDistinct(
        [
          [1, 2],
          [2, 3],
        ],
        5,
      ),
    ).toBe(3)
    expect(countDistinct([[1, 2, 3, 4, 5, 6, 7]], 3)).toBe(4)
  })
})

describeWith(installed('scipy'), 'binning against numpy', () => {
  const r = random(5)
  const samples: Array<[string, Float64Array]> = [
    ['normal', r.normals(1000)],
    ['normal, 1024 values (log2 exact)', r.normals(1024, 3, 10)],
    ['integers with values on bin edges', r.integers(5000, 40)],
    ['two values', Float64Array.of(0, 1, 1, 0, 1)],
    ['constant', new Float64Array(9).fill(4.2)],
    ['wide range', Float64Array.from(r.normals(300), (v) => v * 1e9)],
    ['large', r.normals(100_000, 0, 2)],
  ]
  const expected = python<Array<{ edges: number[]; counts: number[] }>>(
    `result = []
for x in data:
    x = np.asarray(x, dtype=float)
    edges = np.histogram_bin_edges(x, bins="sturges")
    result.append({"edges": edges, "counts": np.histogram(x, edges)[0]})`,
    samples.map(([, x]) => x),
  )

  it.each(samples.map(([name, x], i) => [name, x, i] as const))(
    'sturgesEdges and histogram match numpy: %s',
    (_, x, i) => {
      const reference = expected()[i]
      const edges = sturgesEdges(x)
      expect([...edges]).toEqual(reference?.edges)
      expect([...histogram(x, edges)]).toEqual(reference?.counts)
    },
  )

  // Evidently's get_binned_data, with keys in first-seen order so the vectors line up.
  const GET_BINNED_DATA = `
from collections import Counter
def get_binned_data(ref, cur, numerical, feel_zeroes):
    if numerical and len(set(ref)) > 20:
        ref, cur = np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = list(dict.fromkeys(list(ref) + list(cur)))
        rc, cc = Counter(ref), Counter(cur)
        rp = np.array([rc[k] / len(ref) for k in keys])
        cp = np.array([cc[k] / len(cur) for k in keys])
    if feel_zeroes:
        for p in (rp, cp):
            m = min(p[p != 0])
            np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return [rp, cp]
result = [get_binned_data(c["ref"], c["cur"], c["numerical"], c["fill"]) for c in data]
`
  const cases = [
    { name: 'numerical, binned', ref: r.normals(2000), cur: r.normals(3000, 1.5), numerical: true },
    {
      name: 'numerical, few values',
      ref: r.integers(500, 6),
      cur: r.integers(400, 9),
      numerical: true,
    },
    {
      // A lone outlier makes a share of 1/20000, below 0.0001: empty bins get a millionth of it.
      name: 'numerical, sparse tail',
      ref: Float64Array.of(...r.normals(19_999), 8),
      cur: r.normals(50, 3),
      numerical: true,
    },
    {
      name: 'categorical',
      ref: Array.from(r.integers(300, 5), (i) => `c${i}`),
      cur: Array.from(r.integers(200, 7), (i) => `c${i}`),
      numerical: false,
    },
  ].flatMap((c) => [true, false].map((fill) => ({ ...c, fill })))
  const binned = python<Array<[number[], number[]]>>(GET_BINNED_DATA, cases)

  it.each(cases.map((c, i) => [`${c.name}, fill ${c.fill}`, c, i] as const))(
    'binnedShares matches Evidently: %s',
    (_, { ref, cur, fill }, i) => {
      const reference = binned()[i]
      const shares = binnedShares(ref, cur, fill)
      expect([...shares.reference]).toEqual(reference?.[0])
      expect([...shares.current]).toEqual(reference?.[1])
    },
  )
})
