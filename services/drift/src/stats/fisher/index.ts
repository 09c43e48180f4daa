import { type Category, categoryCounts } from '../binning/index.ts'
import type { TestResult } from '../chisquare/index.ts'
import { compareCategories } from '../ztest/index.ts'
import {
  type Hypergeometric,
  hypergeomCdf,
  hypergeomMode,
  hypergeomPmf,
  hypergeomSf,
} from './hypergeom.ts'

/** A 2×2 contingency table of counts, by rows: [[a, b], [c, d]]. */
export type Table2x2 = readonly [readonly [number, number], readonly [number, number]]

// scipy counts tables whose probability is within this relative margin of the observed one's as
// equally extreme, so that rounding cannot split ties.
const RELATIVE_TIE = 1e-14
const TIE = 1 + RELATIVE_TIE

/**
 * Fisher's exact test on a 2×2 table, two-sided: scipy.stats.fisher_exact(table). The statistic
 * is the sample odds ratio a·d / (b·c) (∞ when b·c = 0, NaN with an empty row or column, where
 * p = 1); the p-value sums the hypergeometric probabilities of every table with these margins no
 * more likely than the observed one, split at the mode as scipy splits it.
 */
export function fisherExact(table: Table2x2): TestResult {
  const [[a, b], [c, d]] = table
  for (const count of [a, b, c, d]) {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`fisherExact: counts must be non-negative integers, not ${count}`)
    }
  }
  if (a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0) {
    return { statistic: Number.NaN, pValue: 1 }
  }
  const statistic = c > 0 && b > 0 ? (a * d) / (c * b) : Number.POSITIVE_INFINITY
  const h: Hypergeometric = { total: a + b + c + d, good: a + b, draws: a + c }
  const pmf = (x: number) => hypergeomPmf(x, h)
  const mode = hypergeomMode(h)
  const pExact = pmf(a)
  const pMode = pmf(mode)
  if (Math.abs(pExact - pMode) / Math.max(pExact, pMode) <= RELATIVE_TIE) {
    return { statistic, pValue: 1 }
  }
  let pValue: number
  if (a < mode) {
    // The observed table lies below the mode: add the upper tail of tables no more likely.
    const lower = hypergeomCdf(a, h)
    if (pmf(h.draws) > pExact * TIE) return { statistic, pValue: lower }
    const last = lastAtMost((x) => -pmf(x), -pExact * TIE, mode, h.draws)
    pValue = lower + hypergeomSf(last, h)
  } else {
    const upper = hypergeomSf(a - 1, h)
    if (pmf(0) > pExact * TIE) return { statistic, pValue: upper }
    const last = lastAtMost(pmf, pExact * TIE, 0, mode)
    pValue = upper + hypergeomCdf(last, h)
  }
  return { statistic, pValue: Math.min(pValue, 1) }
}

/**
 * scipy's binary search (_binary_search_for_binom_tst): the last x in [low − 1, high] with
 * f(x) ≤ target, for f ascending on [low, high]. Kept as scipy writes it, so that the same
 * points are probed and ties fall the same way.
 */
function lastAtMost(f: (x: number) => number, target: number, low: number, high: number) {
  let lo = low
  let hi = high
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2)
    const value = f(mid)
    if (value < target) lo = mid + 1
    else if (value > target) hi = mid - 1
    else return mid
  }
  return f(lo) <= target ? lo : lo - 1
}

/**
 * Evidently's fisher_exact stattest on a binary column: the table [[current ones, current zeros],
 * [reference ones, reference zeros]], "one" being the larger of the two categories in Python's
 * sorted order (Evidently's own assignment follows set order; the two-sided p-value is the same
 * either way). A column holding one value in both samples gives p = 1, as Evidently's padding
 * with a placeholder category does. Throws for more than two categories.
 */
export function fisherExactTest(
  reference: ArrayLike<Category>,
  current: ArrayLike<Category>,
): TestResult {
  const counts = categoryCounts(reference, current)
  if (counts.keys.length > 2) {
    throw new RangeError(
      `fisher_exact needs a binary column, but the samples hold ${counts.keys.length} categories`,
    )
  }
  // One value in both samples: Evidently pads with a placeholder category, an empty column.
  if (counts.keys.length < 2) return { statistic: Number.NaN, pValue: 1 }
  const one = compareCategories(counts.keys[1] as Category, counts.keys[0] as Category) > 0 ? 1 : 0
  const curOnes = counts.current[one] as number
  const refOnes = counts.reference[one] as number
  return fisherExact([
    [curOnes, current.length - curOnes],
    [refOnes, reference.length - refOnes],
  ])
}
