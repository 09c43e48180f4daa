// numpy's add.reduce sums float64 arrays pairwise in blocks of 128 with 8 accumulators; the same
// order of additions gives the same bits, so means and variances match numpy's exactly.
const BLOCK = 128

/** Σ values[start … start + length), added in numpy's pairwise order (numpy.sum). */
export function pairwiseSum(values: ArrayLike<number>, start = 0, length = values.length): number {
  if (length < 8) {
    let sum = 0
    for (let i = start; i < start + length; i++) sum += values[i] as number
    return sum
  }
  if (length <= BLOCK) {
    let r0 = values[start] as number
    let r1 = values[start + 1] as number
    let r2 = values[start + 2] as number
    let r3 = values[start + 3] as number
    let r4 = values[start + 4] as number
    let r5 = values[start + 5] as number
    let r6 = values[start + 6] as number
    let r7 = values[start + 7] as number
    const whole = start + length - (length % 8)
    let i = start + 8
    for (; i < whole; i += 8) {
      r0 += values[i] as number
      r1 += values[i + 1] as number
      r2 += values[i + 2] as number
      r3 += values[i + 3] as number
      r4 += values[i + 4] as number
      r5 += values[i + 5] as number
      r6 += values[i + 6] as number
      r7 += values[i + 7] as number
    }
    let sum = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7))
    for (; i < start + length; i++) sum += values[i] as number
    return sum
  }
  let half = Math.floor(length / 2)
  half -= half % 8
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, length - half)
}

/** numpy.mean. */
export const mean = (values: ArrayLike<number>) => pairwiseSum(values) / values.length

/**
 * numpy.var(values, ddof=1) as scipy's tests take it: the mean of squared deviations from
 * `centre` (the sample's mean) times n / (n − 1).
 */
export function sampleVariance(values: ArrayLike<number>, centre = mean(values)): number {
  const n = values.length
  const squares = new Float64Array(n)
  for (let i = 0; i < n; i++) squares[i] = ((values[i] as number) - centre) ** 2
  return mean(squares) * (n / (n - 1))
}
