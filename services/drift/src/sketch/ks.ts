import type { Kll } from './kll.ts'

export interface SketchKsResult {
  /** The largest gap between the two sketches' CDFs (DataSketches' computeKSDelta). */
  statistic: number
  /** The critical value for the p-value, widened by both sketches' rank errors. */
  threshold: number
  drifted: boolean
}

/**
 * Two-sample Kolmogorov–Smirnov test on two KLL sketches, as DataSketches'
 * KolmogorovSmirnov.kolmogorovSmirnovTest: the statistic walks both sorted views comparing
 * cumulative weights; the threshold is the asymptotic critical value √(−ln(α/2)/2) ·
 * √((r₁ + r₂)/(r₁·r₂)) over the retained item counts r, plus each sketch's single-sided rank
 * error. Drift when statistic > threshold. Both sketches must be non-empty.
 */
export function sketchKsTest(a: Kll, b: Kll, pValue = 0.05): SketchKsResult {
  if (!(pValue > 0 && pValue < 1)) throw new RangeError(`pValue must lie in (0, 1), not ${pValue}`)
  const statistic = ksDelta(a, b)
  const r1 = a.retained
  const r2 = b.retained
  const critical = Math.sqrt(-0.5 * Math.log(0.5 * pValue)) * Math.sqrt((r1 + r2) / (r1 * r2))
  const threshold = critical + a.normalizedRankError(false) + b.normalizedRankError(false)
  return { statistic, threshold, drifted: statistic > threshold }
}

function ksDelta(a: Kll, b: Kll): number {
  const p = a.sortedView()
  const q = b.sortedView()
  const n1 = a.n
  const n2 = b.n
  const pLast = p.quantiles.length - 1
  const qLast = q.quantiles.length - 1
  let delta = 0
  let i = 0
  let j = 0
  const gap = () => Math.abs((p.cumWeights[i] as number) / n1 - (q.cumWeights[j] as number) / n2)
  while (i < pLast && j < qLast) {
    delta = Math.max(delta, gap())
    const x = p.quantiles[i] as number
    const y = q.quantiles[j] as number
    if (x <= y) i++
    if (y <= x) j++
  }
  return Math.max(delta, gap())
}
