import { type Category, categoryCounts } from '../binning/index.ts'
import type { TestResult } from '../chisquare/index.ts'
import { normalSf } from '../special/index.ts'

/**
 * Evidently's z_stat_test: two-proportion z-test of the share of values other than the smallest
 * category (numbers before strings, then ascending), with a two-sided p-value. Meant for two
 * categories; with more, the smallest is tested against the rest, as Evidently does. When both
 * samples hold one and the same value, p = 1.
 */
export function zTest(reference: ArrayLike<Category>, current: ArrayLike<Category>): TestResult {
  const counts = categoryCounts(reference, current)
  if (counts.keys.length < 2) return { statistic: 0, pValue: 1 }
  let first = 0
  for (let k = 1; k < counts.keys.length; k++) {
    if (compareCategories(counts.keys[k] as Category, counts.keys[first] as Category) < 0) first = k
  }
  const n1 = reference.length
  const n2 = current.length
  const p1 = (n1 - (counts.reference[first] as number)) / n1
  const p2 = (n2 - (counts.current[first] as number)) / n2
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
  // Evidently writes 2 * (1 - Φ(|z|)), which rounds to 0 below ~1e-16; the survival function
  // keeps tiny p-values.
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) }
}

/** Python's ordering of sorted() keys, with numbers ahead of strings (Python cannot mix them). */
export function compareCategories(a: Category, b: Category): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}
