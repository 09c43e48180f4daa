/**
 * Exact two-sided p-values of the two-sample KS statistic by lattice-path counting, ported from
 * scipy.stats._stats_py._compute_prob_outside_square and
 * scipy.stats._stats_pythran._compute_outer_prob_inside_method.
 */

/**
 * P(D_{n,n} ≥ h/n) for equal sample sizes: 2 Σ_k (-1)^(k+1) C(2n, n - kh) / C(2n, n), each ratio
 * expanded into h simple factors and nested Horner-style to avoid subtractive cancellation.
 */
export function probOutsideSquare(n: number, h: number): number {
  let p = 0
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1)
    p = p1 * (1 - p)
  }
  return 2 * p
}

/**
 * P(D_{m,n} ≥ h / lcm(m, n)) for unequal sizes: the share of lattice paths from (0,0) to (m,n)
 * that leave the band |x/m - y/n| < h/lcm. Uses Viehmann's recursion, which carries 1 - p
 * directly (arXiv:2102.08037) so small p-values do not drown in rounding; only a sliding window
 * of one column is kept.
 */
export function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0)
  const n = Math.min(m0, n0)
  const mg = m / g
  const ng = n / g
  let minj = 0
  let maxj = Math.min(Math.ceil(h / mg), n + 1)
  let curlen = maxj - minj
  const A = new Float64Array(Math.min(2 * maxj + 2, n + 1)).fill(1)
  A.fill(0, minj, maxj)
  for (let i = 1; i <= m; i++) {
    const lastminj = minj
    const lastlen = curlen
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n)
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1)
    if (maxj <= minj) return 1
    let val = minj === 0 ? 0 : 1
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj
      val = ((A[jj + minj - lastminj] as number) * i + val * j) / (i + j)
      A[jj] = val
    }
    curlen = maxj - minj
    // Entries the window slid past count as paths already outside.
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen))
  }
  return A[maxj - minj - 1] as number
}
