import { sortedSample } from '../sample/index.ts'

/**
 * First Wasserstein distance between two samples, ∫ |U(x) - V(x)| dx over their empirical CDFs,
 * as scipy.stats.wasserstein_distance(u, v) (one merge pass over both sorted samples).
 */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const a = sortedSample(u, 'wassersteinDistance')
  const b = sortedSample(v, 'wassersteinDistance')
  const na = a.length
  const nb = b.length
  let i = 0
  let j = 0
  let previous = Math.min(a[0] as number, b[0] as number)
  let sum = 0
  // Between consecutive pooled values both CDFs are flat: add |U - V| times the gap.
  while (i < na || j < nb) {
    const fromA = j >= nb || (i < na && (a[i] as number) <= (b[j] as number))
    const value = (fromA ? a[i] : b[j]) as number
    sum += Math.abs(i / na - j / nb) * (value - previous)
    previous = value
    if (fromA) i++
    else j++
  }
  return sum
}

/** Population standard deviation (numpy.std with ddof = 0), two-pass. */
export function populationStd(values: ArrayLike<number>): number {
  let mean = 0
  for (let i = 0; i < values.length; i++) mean += values[i] as number
  mean /= values.length
  let squares = 0
  for (let i = 0; i < values.length; i++) squares += ((values[i] as number) - mean) ** 2
  return Math.sqrt(squares / values.length)
}

// Evidently's floor on the scale, so a constant reference does not divide by zero.
const MIN_SCALE = 0.001

/**
 * Evidently's wasserstein stattest: the distance in units of the reference's population standard
 * deviation (floored at 0.001), so one threshold fits columns of any scale.
 */
export function normedWasserstein(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
): number {
  return wassersteinDistance(reference, current) / Math.max(populationStd(reference), MIN_SCALE)
}
