import { createRandom } from '../../../training/train/index.ts'
import {
  empiricalMmd,
  fisherExactTest,
  gTest,
  hellinger,
  MMD_MAX_SAMPLE,
  tvdTest,
} from '../src/stats/index.ts'
import { EVIDENTLY_MMD_PY } from '../src/stats/mmd/evidently.ts'
import {
  benchStattests,
  numericalSamples,
  SIZE,
  type StattestEntry,
  type StattestTiming,
} from './stattests.ts'

// Categories as codes 0 … k − 1, the current sample's shares slightly shifted.
function codes(seed: number, k: number, shift: number): { x: Float64Array; y: Float64Array } {
  const random = createRandom(seed)
  const draw = (s: number) =>
    Float64Array.from({ length: SIZE }, () => Math.min(k - 1, Math.floor(random.next() * k + s)))
  return { x: draw(0), y: draw(shift) }
}

// Python expressions for what Evidently computes before its scipy call, in numpy: the union of
// both samples' values, and each sample's count of each (Evidently's pandas value_counts).
const UNION = 'np.unique(np.concatenate((x, y)))'
const counts = (sample: string) => `np.array([np.count_nonzero(${sample} == k) for k in u])`
// Evidently's TVD permutation_test, its pandas and Counter bookkeeping reduced to numpy's
// np.random.choice (the call it makes) and a bincount.
const TVD_PY = `
np.random.seed(0)
pooled = np.concatenate((x, y)).astype(np.int64)
total = np.bincount(pooled)
observed = 0.5 * np.sum(np.abs(np.bincount(x.astype(np.int64), minlength=total.size) / x.size - np.bincount(y.astype(np.int64), minlength=total.size) / y.size))
held = []
for _ in range(1000):
    r = np.bincount(np.random.choice(pooled, x.size, replace=False), minlength=total.size)
    c = total - r
    held.append(0.5 * np.sum(np.abs(r / r.sum() - c / c.sum())))
p = sum(observed <= np.abs(np.array(held))) / len(held)
`
// Evidently's numerical hellinger: Sturges edges over the distinct values, density histograms.
const HELLINGER_PY = `(lambda b: np.sqrt(1 - np.clip(np.sum(np.sqrt(np.histogram(x, b, density=True)[0] * np.histogram(y, b, density=True)[0])) * (b[-1] - b[0]) / (len(b) - 1), 0, 1)))(np.histogram_bin_edges(${UNION}, bins="sturges"))`

/**
 * Evidently's categorical and kernel stattests on 2 × 100,000 values, each beside the scipy call
 * Evidently makes (fisher_exact, power_divergence) or, where scipy has none, the numpy calls it
 * makes. The permutation tests (TVD, empirical_mmd) run once: each takes seconds on either side.
 */
export function benchCategoricalStattests(): StattestTiming[] {
  const binary = codes(21, 2, 0.01)
  const categories = codes(22, 10, 0.05)
  const labels = { x: Array.from(categories.x), y: Array.from(categories.y) }
  const byCategory: StattestEntry[] = [
    {
      name: 'g_test',
      ours: gTest,
      scipyCall: `(lambda u: stats.power_divergence(${counts('y')}, ${counts('x')} * (y.size / x.size), lambda_="log-likelihood"))(${UNION})`,
    },
    {
      name: 'hellinger (categorical)',
      // Categories arrive as arrays, numbers as Float64Array: converted outside the timing.
      ours: () => hellinger(labels.x, labels.y),
      scipyCall: `(lambda u: np.sqrt(1 - np.clip(np.sum(np.sqrt(${counts('x')} / x.size * (${counts('y')} / y.size))), 0, 1)))(${UNION})`,
    },
  ]
  const numerical: StattestEntry[] = [
    { name: 'hellinger (numerical)', ours: hellinger, scipyCall: HELLINGER_PY },
  ]
  return [
    ...benchStattests(
      [
        {
          name: 'fisher_exact',
          ours: fisherExactTest,
          scipyCall: `(lambda u: stats.fisher_exact([[np.count_nonzero(y == u[-1]), np.count_nonzero(y != u[-1])], [np.count_nonzero(x == u[-1]), np.count_nonzero(x != u[-1])]]))(${UNION})`,
        },
      ],
      binary,
    ),
    ...benchStattests(byCategory, categories),
    ...benchStattests(numerical),
    ...benchStattests(
      [
        {
          name: 'TVD (1000 permutations)',
          ours: tvdTest,
          scipyCall: `exec(${JSON.stringify(TVD_PY)})`,
        },
      ],
      categories,
      1,
    ),
    ...benchStattests(
      [
        {
          name: `empirical_mmd (${MMD_MAX_SAMPLE} of each, 100 permutations)`,
          ours: empiricalMmd,
          scipyCall: `exec(${JSON.stringify(`${EVIDENTLY_MMD_PY}\nevidently_mmd(x, y, ${MMD_MAX_SAMPLE})`)})`,
        },
      ],
      numericalSamples(),
      1,
    ),
  ]
}
