import { pooledCounts } from '../ranks/index.ts'
import { sortedSample } from '../sample/index.ts'

/**
 * Energy distance between two samples, √2 · (∫ (U(x) − V(x))² dx)^½ over their empirical CDFs, as
 * scipy.stats.energy_distance(u, v), which Evidently's `ed` reports as is (not normalised): one
 * pass over the pooled distinct values, both CDFs flat between neighbours.
 */
export function energyDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const { values, first, second } = pooledCounts(
    sortedSample(u, 'energyDistance'),
    sortedSample(v, 'energyDistance'),
  )
  const nu = u.length
  const nv = v.length
  let inU = 0
  let inV = 0
  let sum = 0
  for (let k = 0; k < values.length - 1; k++) {
    inU += first[k] as number
    inV += second[k] as number
    sum += (inU / nu - inV / nv) ** 2 * ((values[k + 1] as number) - (values[k] as number))
  }
  return Math.SQRT2 * Math.sqrt(sum)
}
