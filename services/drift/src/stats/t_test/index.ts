import { studentTSf } from '../special/index.ts'
import { mean, sampleVariance } from '../summation/index.ts'

export interface TTestResult {
  /** Student's t, (mean₁ − mean₂) over the pooled standard error. */
  statistic: number
  /** Two-sided. */
  pValue: number
}

/**
 * Two-sample Student t-test with pooled variance, two-sided, as scipy.stats.ttest_ind(x, y)
 * (equal_var=True), which Evidently's `t_test` calls. Means and variances are summed in numpy's
 * order. Needs two values in all; a sample of one contributes no variance, as in scipy.
 */
export function tTest(x: ArrayLike<number>, y: ArrayLike<number>): TTestResult {
  const n1 = x.length
  const n2 = y.length
  if (n1 === 0 || n2 === 0) throw new RangeError('tTest: samples must not be empty')
  if (n1 + n2 < 3) throw new RangeError('tTest: needs three values in all')
  const m1 = mean(x)
  const m2 = mean(y)
  const v1 = n1 === 1 ? 0 : sampleVariance(x, m1)
  const v2 = n2 === 1 ? 0 : sampleVariance(y, m2)
  const df = n1 + n2 - 2
  const pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
  const statistic = (m1 - m2) / Math.sqrt(pooled * (1 / n1 + 1 / n2))
  if (Number.isNaN(statistic)) {
    // 0 / 0: both samples hold one and the same value (scipy says NaN): nothing differs.
    if (pooled === 0) return { statistic: 0, pValue: 1 }
    throw new RangeError('tTest: samples contain NaN')
  }
  return { statistic, pValue: 2 * studentTSf(Math.abs(statistic), df) }
}
