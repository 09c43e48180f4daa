import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python } from '../testing/index.ts'
import { RandomState } from './index.ts'

describe('RandomState', () => {
  it('permutes as np.random.seed(0); np.random.permutation(10)', () => {
    expect(Array.from(new RandomState(0).permutation(10))).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5])
  })

  it('draws integers in [0, max] only', () => {
    const random = new RandomState(3)
    for (const max of [0, 1, 2, 5, 2 ** 31, 2 ** 32 - 1]) {
      for (let i = 0; i < 50; i++) {
        const v = random.interval(max)
        expect(v).toBeGreaterThanOrEqual(0)
        expect(v).toBeLessThanOrEqual(max)
      }
    }
  })

  it('refuses seeds numpy refuses', () => {
    expect(() => new RandomState(-1)).toThrow(/seed/)
    expect(() => new RandomState(2 ** 32)).toThrow(/seed/)
  })
})

describeWith(installed('scipy'), 'RandomState against numpy', () => {
  const seeds = [0, 1, 42, 2 ** 32 - 1]
  const expected = python<{ raw: number[][]; permutations: number[][]; large: number[] }>(
    `
raw = []
for s in data["seeds"]:
    g = np.random.MT19937()
    g._legacy_seeding(s)
    raw.append([int(v) for v in g.random_raw(1300)])
perms = []
for s in data["seeds"]:
    np.random.seed(s)
    perms.append([int(v) for v in np.random.permutation(50)] + [int(v) for v in np.random.permutation(3)])
np.random.seed(7)
big = np.random.permutation(100_000)
np.random.choice(10, 3, replace=False)
big2 = np.random.permutation(70_000)
result = {"raw": raw, "permutations": perms, "large": [int((big * np.arange(100_000)).sum()), int(big[:5].sum()), int((big2 * np.arange(70_000)).sum())]}
`,
    { seeds },
  )

  it('draws the same 32-bit words as numpy MT19937 with legacy seeding, across two twists', () => {
    seeds.forEach((seed, i) => {
      const random = new RandomState(seed)
      const words = Array.from({ length: 1300 }, () => random.nextUint32())
      expect(words).toEqual(expected().raw[i])
    })
  })

  it('permutes as np.random.permutation, call after call', () => {
    seeds.forEach((seed, i) => {
      const random = new RandomState(seed)
      const drawn = [...random.permutation(50), ...random.permutation(3)]
      expect(drawn).toEqual(expected().permutations[i])
    })
  })

  it('permutes 100,000 positions as numpy, and choice(…, replace=False) consumes as permutation', () => {
    const random = new RandomState(7)
    const big = random.permutation(100_000)
    random.permutation(10)
    const big2 = random.permutation(70_000)
    const weighted = (p: Uint32Array) => p.reduce((sum, v, i) => sum + v * i, 0)
    expect([
      weighted(big),
      (big as Uint32Array).subarray(0, 5).reduce((a, b) => a + b, 0),
      weighted(big2),
    ]).toEqual(expected().large)
  })
})
