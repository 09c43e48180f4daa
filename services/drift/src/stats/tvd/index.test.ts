import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { TVD_MAX_VALUES, totalVariation, tvdTest } from './index.ts'

const labels = (codes: Float64Array) => Array.from(codes, (c) => `c${c}`)

describe('totalVariation', () => {
  it('is half the L1 distance between the shares', () => {
    // Shares (½, ½, 0) and (¼, ¼, ½).
    expect(totalVariation([2, 2, 0], [1, 1, 2])).toBe(0.5)
    expect(totalVariation([3, 1], [6, 2])).toBe(0)
  })
})

describe('tvdTest', () => {
  it('finds no drift between samples with the same shares', () => {
    const result = tvdTest(['a', 'b', 'a', 'b'], ['b', 'a'], 50)
    expect(result).toEqual({ statistic: 0, pValue: 1 })
  })

  it('gives a small p-value for disjoint categories', () => {
    const result = tvdTest(Array<string>(30).fill('a'), Array<string>(30).fill('b'), 200)
    expect(result.statistic).toBe(1)
    expect(result.pValue).toBe(0)
  })

  it('refuses an empty sample, and more values than its limit before counting them', () => {
    expect(() => tvdTest([], ['a'])).toThrow(/both samples/)
    const half = { length: TVD_MAX_VALUES / 2 + 1 } as ArrayLike<string>
    expect(() => tvdTest(half, half)).toThrow(/at most 1000000 values together, not 1000002/)
  })
})

describeWith(installed('scipy'), "tvdTest against Evidently's permutation test in numpy", () => {
  const r = random(41)
  const samples = [
    { name: 'same distribution', ref: labels(r.integers(300, 4)), cur: labels(r.integers(200, 4)) },
    {
      name: 'slightly shifted, equal sizes',
      ref: labels(r.integers(400, 3)),
      cur: labels(Float64Array.from(r.integers(400, 10), (v) => Math.min(v, 2))),
    },
    {
      name: 'binary, unequal sizes',
      ref: labels(Float64Array.from({ length: 500 }, () => (r.uniform() < 0.3 ? 1 : 0))),
      cur: labels(Float64Array.from({ length: 350 }, () => (r.uniform() < 0.36 ? 1 : 0))),
    },
    {
      name: 'a category missing from current, one new',
      ref: labels(r.integers(250, 6)),
      cur: labels(Float64Array.from(r.integers(300, 6), (v) => (v === 5 ? 7 : v))),
    },
    {
      name: 'integer categories',
      ref: Array.from(r.integers(120, 3)),
      cur: Array.from(r.integers(90, 3)),
    },
  ]
  // Evidently's _tvd_stattest and permutation_test, with Counter for pandas' value_counts.
  const expected = python<Array<[number, number]>>(
    `
from collections import Counter
def tvd(ref, cur):
    keys = list(set(ref) | set(cur))
    rc, cc = Counter(ref), Counter(cur)
    r = np.array([rc[k] for k in keys]); c = np.array([cc[k] for k in keys])
    return 0.5 * np.sum(np.abs(r / sum(r) - c / sum(c)))
def permutation_test(ref, cur, observed, iterations=1000):
    np.random.seed(0)
    held = []
    for _ in range(iterations):
        combined = ref + cur
        new_ref = np.random.choice(combined, len(ref), replace=False).tolist()
        new_cur = list((Counter(combined) - Counter(new_ref)).elements())
        held.append(tvd(new_ref, new_cur))
    return sum(observed <= abs(np.array(held))) / len(held)
result = []
for s in data:
    observed = tvd(s["ref"], s["cur"])
    result.append([observed, permutation_test(s["ref"], s["cur"], observed)])
`,
    samples,
  )

  it.each(samples.map((s, i) => [s.name, s, i] as const))('%s', (_, { ref, cur }, i) => {
    const [statistic, pValue] = expected()[i] as [number, number]
    const result = tvdTest(ref, cur)
    expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-14)
    expect(result.pValue).toBe(pValue)
  })
})
