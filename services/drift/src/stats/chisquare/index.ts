import { type Category, categoryCounts } from '../binning/index.ts'
import { chi2Sf } from '../special/index.ts'

export interface TestResult {
  statistic: number
  pValue: number
}

// scipy refuses observed and expected totals further apart than this.
const SUM_RTOL = 1e-8

/**
 * scipy.stats.power_divergence's shape, which both goodness-of-fit tests share: Σ term(o, e) over
 * the categories against chi2 with k − 1 degrees of freedom, after scipy's checks of the inputs.
 */
export function powerDivergence(
  test: string,
  observed: ArrayLike<number>,
  expected: ArrayLike<number>,
  term: (o: number, e: number) => number,
): TestResult {
  if (observed.length !== expected.length || observed.length === 0) {
    throw new RangeError(`${test}: observed and expected need the same, non-zero length`)
  }
  let statistic = 0
  let observedSum = 0
  let expectedSum = 0
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i] as number
    const e = expected[i] as number
    statistic += term(o, e)
    observedSum += o
    expectedSum += e
  }
  if (Math.abs(observedSum - expectedSum) / Math.min(observedSum, expectedSum) > SUM_RTOL) {
    throw new RangeError(
      `${test}: observed total ${observedSum} and expected total ${expectedSum} differ`,
    )
  }
  return { statistic, pValue: chi2Sf(statistic, observed.length - 1) }
}

/**
 * Pearson's chi-squared goodness-of-fit test, as scipy.stats.chisquare(observed, expected): the
 * statistic Σ (o - e)² / e against chi2 with k - 1 degrees of freedom. A category expected
 * 0 times but observed gives an infinite statistic and p = 0; one category alone gives p = NaN.
 */
export const chiSquareGof = (observed: ArrayLike<number>, expected: ArrayLike<number>) =>
  powerDivergence('chiSquareGof', observed, expected, (o, e) => (o - e) ** 2 / e)

/**
 * What Evidently's chisquare and g_test compare: current counts (observed) against reference
 * counts scaled to the current size (expected), over the union of both samples' categories.
 * Undefined when both samples hold one and the same category, leaving nothing to test.
 */
export function scaledCounts(
  reference: ArrayLike<Category>,
  current: ArrayLike<Category>,
): { observed: Float64Array; expected: Float64Array } | undefined {
  const counts = categoryCounts(reference, current)
  if (counts.keys.length < 2) return undefined
  const scale = current.length / reference.length
  return { observed: counts.current, expected: counts.reference.map((c) => c * scale) }
}

/**
 * Evidently's chisquare stattest: current counts against reference shares scaled to the current
 * size, over the union of both samples' categories. A category the reference never saw is
 * expected 0 times, so its appearance is certain drift (statistic ∞, p = 0). When both samples
 * hold one and the same category there is nothing to test and p = 1 (scipy would give NaN).
 */
export function chiSquareTest(
  reference: ArrayLike<Category>,
  current: ArrayLike<Category>,
): TestResult {
  const counts = scaledCounts(reference, current)
  return counts ? chiSquareGof(counts.observed, counts.expected) : { statistic: 0, pValue: 1 }
}
