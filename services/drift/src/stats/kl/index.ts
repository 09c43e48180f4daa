/**
 * x · ln(x / y) as scipy.special.rel_entr: 0 at x = 0, ∞ where y = 0 < x. Near x = y it goes
 * through log1p as current scipy does, which keeps tiny divergences between close distributions.
 */
export function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) {
    const ratio = x / y
    if (ratio > 0.5 && ratio < 2) return x * Math.log1p((x - y) / y)
    return ratio > 0 && ratio < Number.POSITIVE_INFINITY
      ? x * Math.log(ratio)
      : x * (Math.log(x) - Math.log(y))
  }
  if (x === 0 && y >= 0) return 0
  return Number.POSITIVE_INFINITY
}

/** The vector scaled to sum to 1. */
export function normalize(weights: ArrayLike<number>): Float64Array {
  let total = 0
  for (let i = 0; i < weights.length; i++) total += weights[i] as number
  return Float64Array.from(weights, (w) => w / total)
}

/** Σ relEntr(p_i, q_i), with no normalisation. */
export function relativeEntropy(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError('relative entropy: vectors differ in length')
  let sum = 0
  for (let i = 0; i < p.length; i++) sum += relEntr(p[i] as number, q[i] as number)
  return sum
}

/**
 * Kullback–Leibler divergence KL(p ‖ q) in nats after normalising both, as
 * scipy.stats.entropy(p, q), which Evidently's kl_div stattest applies to
 * binnedShares(…, fillZeroes = true).
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  return relativeEntropy(normalize(p), normalize(q))
}
