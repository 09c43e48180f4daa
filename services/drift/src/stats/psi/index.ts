/**
 * Population stability index Σ (r - c) · ln(r / c) over per-bin shares, as Evidently's psi
 * stattest computes it on binnedShares(…, fillZeroes = true). Shares are used as given (not
 * renormalised); a zero share makes the index infinite, which the zero filling prevents.
 */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  if (reference.length !== current.length)
    throw new RangeError('psi: share vectors differ in length')
  let sum = 0
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number
    const c = current[i] as number
    sum += (r - c) * Math.log(r / c)
  }
  return sum
}
