/**
 * Evidently's `distance` embedding drift: a distance between the two samples' mean vectors,
 * compared with a threshold, or with a quantile of the same distance between bootstrap samples
 * drawn from the reference alone.
 */

import { choice, RandomState } from './draws.ts'
import { columnMeans, type Matrix, rowsOf } from './matrix.ts'

export const DISTANCES = ['euclidean', 'cosine', 'cityblock', 'chebyshev'] as const
export type DistanceName = (typeof DISTANCES)[number]

/** The scipy.spatial.distance functions Evidently names. */
export function vectorDistance(name: DistanceName, u: Float64Array, v: Float64Array): number {
  let sum = 0
  let max = 0
  let uu = 0
  let vv = 0
  for (let j = 0; j < u.length; j++) {
    const a = u[j] as number
    const b = v[j] as number
    const d = Math.abs(a - b)
    sum += name === 'euclidean' ? d * d : d
    if (d > max) max = d
    uu += a * a
    vv += b * b
  }
  if (name === 'euclidean') return Math.sqrt(sum)
  if (name === 'cityblock') return sum
  if (name === 'chebyshev') return max
  let uv = 0
  for (let j = 0; j < u.length; j++) uv += (u[j] as number) * (v[j] as number)
  // scipy clips the cosine distance to [0, 2] against rounding.
  return Math.min(Math.max(1 - uv / Math.sqrt(uu * vv), 0), 2)
}

// Evidently's N_BOOTSTRAP: draws seeded 0 … 99.
export const BOOTSTRAP_DRAWS = 100

export interface DistanceResult {
  statistic: number
  /** The distances between pairs of reference resamples, when bootstrapped. */
  bootstrap?: Float64Array
}

export function meanDistance(
  reference: Matrix,
  current: Matrix,
  name: DistanceName,
  bootstrap: boolean,
): DistanceResult {
  const statistic = vectorDistance(name, columnMeans(reference), columnMeans(current))
  if (!bootstrap) return { statistic }
  const m = reference.rows
  const n = current.rows
  // Evidently's sizes: the two samples' shares of m, so the resamples mirror the comparison.
  const referenceSize = Math.trunc((m * m) / (m + n))
  const currentSize = Math.trunc((n * m) / (m + n))
  const draws = new Float64Array(BOOTSTRAP_DRAWS)
  for (let i = 0; i < BOOTSTRAP_DRAWS; i++) {
    const random = new RandomState(i)
    const a = rowsOf(reference, choice(random, m, referenceSize))
    const b = rowsOf(reference, choice(random, m, currentSize))
    draws[i] = vectorDistance(name, columnMeans(a), columnMeans(b))
  }
  return { statistic, bootstrap: draws }
}
