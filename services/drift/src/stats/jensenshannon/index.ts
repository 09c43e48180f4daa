import { normalize, relativeEntropy } from '../kl/index.ts'

/**
 * Jensen–Shannon distance (the square root of the divergence) between two weight vectors, each
 * normalised first, natural log unless `base` is given: scipy.spatial.distance.jensenshannon.
 * Evidently's jensenshannon stattest applies it to binnedShares(…, fillZeroes = false).
 */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  const pn = normalize(p)
  const qn = normalize(q)
  const m = pn.map((v, i) => (v + (qn[i] as number)) / 2)
  let divergence = relativeEntropy(pn, m) + relativeEntropy(qn, m)
  if (base !== undefined) divergence /= Math.log(base)
  return Math.sqrt(divergence / 2)
}
