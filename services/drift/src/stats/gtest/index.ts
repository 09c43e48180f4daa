import type { Category } from '../binning/index.ts'
import { checkTotals, scaledCounts, type TestResult } from '../chisquare/index.ts'
import { chi2Sf } from '../special/index.ts'

/**
 * The G-test (log-likelihood ratio) of goodness of fit: scipy.stats.power_divergence(observed,
 * expected, lambda_="log-likelihood"), the statistic 2 Σ o·ln(o / e) (a term with o = 0 is 0)
 * against chi2 with k − 1 degrees of freedom. A category expected 0 times but observed gives an
 * infinite statistic and p = 0.
 */
export function gTestGof(observed: ArrayLike<number>, expected: ArrayLike<number>): TestResult {
  if (observed.length !== expected.length || observed.length === 0) {
    throw new RangeError('gTestGof: observed and expected need the same, non-zero length')
  }
  let statistic = 0
  let observedSum = 0
  let expectedSum = 0
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i] as number
    const e = expected[i] as number
    // scipy.special.xlogy(o, o / e): 0 when o = 0, whatever the ratio.
    if (o !== 0) statistic += 2 * o * Math.log(o / e)
    observedSum += o
    expectedSum += e
  }
  checkTotals('gTestGof', observedSum, expectedSum)
  return { statistic, pValue: chi2Sf(statistic, observed.length - 1) }
}

/**
 * Evidently's g_test stattest: the G-test of current counts against reference shares scaled to
 * the current size, over the union of both samples' categories, as its chisquare does. A category
 * the reference never saw is certain drift (statistic ∞, p = 0); one and the same category in
 * both samples gives p = 1 (scipy would give NaN).
 */
export function gTest(reference: ArrayLike<Category>, current: ArrayLike<Category>): TestResult {
  const counts = scaledCounts(reference, current)
  return counts ? gTestGof(counts.observed, counts.expected) : { statistic: 0, pValue: 1 }
}
