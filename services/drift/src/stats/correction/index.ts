/**
 * Multiple-testing corrections for the p-values of one drift run (one per column tested),
 * returned as adjusted p-values in input order, to be compared with each column's threshold.
 */

/** Bonferroni: min(1, m · p). Controls the family-wise error rate. */
export function bonferroni(pValues: ArrayLike<number>): Float64Array {
  const m = pValues.length
  return Float64Array.from(pValues, (p) => Math.min(1, p * m))
}

/**
 * Benjamini–Hochberg step-up adjustment, as scipy.stats.false_discovery_control(p, method="bh"):
 * the i-th smallest p-value becomes min over j ≥ i of p_(j) · m / j, capped at 1. Controls the
 * false discovery rate.
 */
export function benjaminiHochberg(pValues: ArrayLike<number>): Float64Array {
  const m = pValues.length
  const order = Array.from({ length: m }, (_, i) => i).sort(
    (a, b) => (pValues[a] as number) - (pValues[b] as number),
  )
  const adjusted = new Float64Array(m)
  let running = 1
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1] as number
    running = Math.min(running, (pValues[i] as number) * (m / rank))
    adjusted[i] = running
  }
  return adjusted
}
