import { pooledCounts } from '../ranks/index.ts'
import { sortedSample } from '../sample/index.ts'
import { binomial, normalSf } from '../special/index.ts'

export interface MannWhitneyResult {
  /** U of the first sample: how often one of its values exceeds one of the second's (ties ½). */
  statistic: number
  /** One-sided: the first sample tends to be smaller (alternative "less"). */
  pValue: number
  /** How the p-value was computed: the exact null distribution, or the normal approximation. */
  method: 'exact' | 'asymptotic'
}

// scipy's method="auto" counts exactly while either sample has at most this many values.
const MAX_EXACT_N = 8

/**
 * Mann–Whitney U test of `x` against `y`, alternative "less", as Evidently's `mannw` runs it:
 * scipy.stats.mannwhitneyu(x, y, alternative="less") with use_continuity=True and method="auto" —
 * exact when either sample has at most 8 values and nothing ties, otherwise the normal
 * approximation with the tie correction and continuity correction.
 */
export function mannWhitneyU(x: ArrayLike<number>, y: ArrayLike<number>): MannWhitneyResult {
  const counts = pooledCounts(sortedSample(x, 'mannWhitneyU'), sortedSample(y, 'mannWhitneyU'))
  const n1 = x.length
  const n2 = y.length
  let below = 0
  let rankSum = 0
  let tieTerm = 0
  for (let k = 0; k < counts.values.length; k++) {
    const inX = counts.first[k] as number
    const tied = inX + (counts.second[k] as number)
    // Midranks are halves, so these sums stay exact.
    rankSum += inX * (below + (tied + 1) / 2)
    tieTerm += tied ** 3 - tied
    below += tied
  }
  const u1 = rankSum - (n1 * (n1 + 1)) / 2
  // "less": the survival function of the second sample's U, by symmetry.
  const u2 = n1 * n2 - u1
  if ((n1 <= MAX_EXACT_N || n2 <= MAX_EXACT_N) && tieTerm === 0) {
    return { statistic: u1, pValue: Math.min(exactSf(u2, n1, n2), 1), method: 'exact' }
  }
  const n = n1 + n2
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
  const z = (u2 - (n1 * n2) / 2 - 0.5) / sd
  return { statistic: u1, pValue: Math.min(Math.max(normalSf(z), 0), 1), method: 'asymptotic' }
}

/**
 * P(U ≥ u) under the null hypothesis, U taking each value k with the number of lattice paths
 * under which k cells lie below: the coefficients of the Gaussian binomial
 * [m + n choose m]_q = Π (1 − q^(n+i)) / (1 − q^i), summed from the nearer end (U is symmetric
 * about mn/2), as scipy's _MWU.sf does.
 */
function exactSf(u: number, n1: number, n2: number): number {
  const m = Math.min(n1, n2)
  const n = Math.max(n1, n2)
  const complement = m * n - u
  const upper = u >= complement
  const last = upper ? complement : u - 1
  if (last < 0) return 1
  const coefficients = new Float64Array(last + 1)
  coefficients[0] = 1
  for (let i = 1; i <= m; i++) {
    for (let k = i; k <= last; k++)
      coefficients[k] = (coefficients[k] as number) + (coefficients[k - i] as number)
  }
  for (let i = 1; i <= m; i++) {
    for (let k = last; k >= n + i; k--)
      coefficients[k] = (coefficients[k] as number) - (coefficients[k - n - i] as number)
  }
  let paths = 0
  for (const c of coefficients) paths += c
  const cdf = paths / binomial(m + n, m)
  return upper ? cdf : 1 - cdf
}
