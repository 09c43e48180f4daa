import { type Category, categoryCounts } from '../binning/index.ts'
import type { TestResult } from '../chisquare/index.ts'
import { RandomState } from '../mt19937/index.ts'

/** Total variation distance ½ Σ |p − q| between two samples' count vectors over the same keys. */
export function totalVariation(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let refTotal = 0
  let curTotal = 0
  for (let k = 0; k < reference.length; k++) {
    refTotal += reference[k] as number
    curTotal += current[k] as number
  }
  let sum = 0
  for (let k = 0; k < reference.length; k++) {
    sum += Math.abs((reference[k] as number) / refTotal - (current[k] as number) / curTotal)
  }
  return 0.5 * sum
}

// Evidently's permutation count and seed (its permutation_test calls np.random.seed(0)).
const ITERATIONS = 1000
const SEED = 0
/**
 * Each permutation shuffles both samples whole: 1000 of them over 2 × 100,000 values take seconds,
 * so the test refuses more than this many values in both samples together (tens of seconds).
 */
export const TVD_MAX_VALUES = 1_000_000

/**
 * Evidently's TVD stattest: the total variation distance between the samples' category shares,
 * and the share of `iterations` random relabellings of the pooled values whose distance is at
 * least as large, as its permutation_test draws them: numpy's legacy generator seeded with 0,
 * each relabelling np.random.choice(reference + current, len(reference), replace=False) as the
 * new reference and the rest as the new current. Same data, same p-value as Evidently.
 */
export function tvdTest(
  reference: ArrayLike<Category>,
  current: ArrayLike<Category>,
  iterations = ITERATIONS,
): TestResult {
  if (reference.length === 0 || current.length === 0) {
    throw new RangeError('tvdTest needs values in both samples')
  }
  if (reference.length + current.length > TVD_MAX_VALUES) {
    throw new RangeError(
      `TVD permutes both samples ${iterations} times: at most ${TVD_MAX_VALUES} values together, not ${reference.length + current.length}`,
    )
  }
  const counts = categoryCounts(reference, current)
  const statistic = totalVariation(counts.reference, counts.current)
  // The pooled sample as category codes, reference first, as Evidently concatenates them.
  const index = new Map(counts.keys.map((key, k) => [key, k]))
  const pooled = new Uint32Array(reference.length + current.length)
  for (let i = 0; i < reference.length; i++) pooled[i] = index.get(reference[i] as Category) ?? 0
  for (let i = 0; i < current.length; i++) {
    pooled[reference.length + i] = index.get(current[i] as Category) ?? 0
  }
  const total = counts.reference.map((c, k) => c + (counts.current[k] as number))
  const random = new RandomState(SEED)
  const partners = new Uint32Array(pooled.length)
  const work = new Uint32Array(pooled.length)
  const newCurrent = new Float64Array(counts.keys.length)
  const newReference = new Float64Array(counts.keys.length)
  let extreme = 0
  for (let iteration = 0; iteration < iterations; iteration++) {
    // np.random.choice(pooled, len(reference), replace=False) keeps the first len(reference)
    // items of a shuffle. Position i is final once Fisher–Yates has swapped it, so the new
    // current sample (positions ≥ len(reference)) is counted as it settles; the later swaps only
    // reorder the new reference, whose counts are the rest, and are skipped.
    random.swapPartners(partners)
    work.set(pooled)
    newCurrent.fill(0)
    for (let i = work.length - 1; i >= reference.length; i--) {
      const j = partners[i] as number
      const code = work[j] as number
      work[j] = work[i] as number
      newCurrent[code] = (newCurrent[code] as number) + 1
    }
    for (let k = 0; k < newReference.length; k++) {
      newReference[k] = (total[k] as number) - (newCurrent[k] as number)
    }
    if (statistic <= totalVariation(newReference, newCurrent)) extreme++
  }
  return { statistic, pValue: extreme / iterations }
}
