import type { Category } from '../binning/index.ts'
import { powerDivergence, scaledCounts, type TestResult } from '../chisquare/index.ts'

/**
 * The G-test (log-likelihood ratio) of goodness of fit: scipy.stats.power_divergence(observed,
 * expected, lambda_="log-likelihood"), the statistic 2 Σ o·ln(o / e) (a term with o = 0 is 0)
 * against chi2 with k − 1 degrees of freedom. A category expected 0 times but observed gives an
 * infinite statistic and p = 0.
 */
export const gTestGof = (observed: ArrayLike<number>, expected: ArrayLike<number>) =>
  // scipy.special.xlogy(o, o / e): 0 when o = 0, whatever the ratio.
  powerDivergence('gTestGof', observed, expected, (o, e) => (o === 0 ? 0 : 2 * o * Math.log(o / e)))

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
