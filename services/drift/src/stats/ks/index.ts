import { sortedSample } from '../sample/index.ts'
import { probOutsideBand, probOutsideSquare } from './exact.ts'
import { kstwoSf } from './kstwo.ts'

export { kstwoSf, smirnovSf } from './kstwo.ts'

export interface KsResult {
  /** sup |F₁ - F₂| over the pooled sample. */
  statistic: number
  pValue: number
  /** How the p-value was computed: lattice-path counting, or the Kolmogorov distribution. */
  method: 'exact' | 'asymp'
}

// scipy's method="auto" counts paths exactly up to this sample size.
const MAX_EXACT_N = 10_000

/**
 * Two-sample two-sided Kolmogorov–Smirnov test, as scipy.stats.ks_2samp(x, y,
 * alternative="two-sided", method="auto"): exact p-value when max(n1, n2) ≤ 10000 (falling back to
 * the asymptotic one if the path count fails, as scipy does), otherwise kstwo.sf(D, round(n1·n2 /
 * (n1 + n2))). Tied values are handled as scipy does, by evaluating both empirical CDFs after each
 * distinct value. Inputs must be non-empty and free of NaN.
 */
export function ks2samp(x: ArrayLike<number>, y: ArrayLike<number>): KsResult {
  const a = sortedSample(x, 'ks2samp')
  const b = sortedSample(y, 'ks2samp')
  const n1 = a.length
  const n2 = b.length
  // Track n1·n2·(F₁ - F₂) in integers (exact below 2^53): it gives the path-count boundary h.
  let i = 0
  let j = 0
  let maxDiff = 0
  let minDiff = 0
  let [maxI, maxJ, minI, minJ] = [0, 0, 0, 0]
  while (i < n1 && j < n2) {
    const value = Math.min(a[i] as number, b[j] as number)
    while (i < n1 && a[i] === value) i++
    while (j < n2 && b[j] === value) j++
    const diff = i * n2 - j * n1
    if (diff > maxDiff) {
      maxDiff = diff
      maxI = i
      maxJ = j
    } else if (diff < minDiff) {
      minDiff = diff
      minI = i
      minJ = j
    }
  }
  // Once either sample is used up the difference only shrinks towards 0.

  const g = gcd(n1, n2)
  let d: number
  if (Math.max(n1, n2) <= MAX_EXACT_N) {
    const lcm = (n1 / g) * n2
    const h = Math.max(maxDiff, -minDiff) / g
    // scipy reports the statistic rounded onto the lattice, h / lcm.
    d = h / lcm
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' }
    const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h)
    if (p >= 0 && p <= 1) return { statistic: d, pValue: p, method: 'exact' }
  } else {
    // As scipy: the larger of the two one-sided differences, each in floating point.
    const up = maxI / n1 - maxJ / n2
    const down = Math.min(Math.max(-(minI / n1 - minJ / n2), 0), 1)
    d = Math.max(down, up)
  }
  const big = Math.max(n1, n2)
  const small = Math.min(n1, n2)
  const en = roundHalfEven((big * small) / (big + small))
  return { statistic: d, pValue: Math.min(Math.max(kstwoSf(en, d), 0), 1), method: 'asymp' }
}

function gcd(a: number, b: number): number {
  let x = a
  let y = b
  while (y !== 0) [x, y] = [y, x % y]
  return x
}

/** numpy.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r
}
