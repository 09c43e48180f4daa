import { select } from '../sample/select.ts'
import { chi2Sf } from '../special/index.ts'
import { pairwiseSum } from '../summation/index.ts'
import { symmetricEigen } from './eigen.ts'

export interface EppsSingletonResult {
  /** W, asymptotically chi-squared with as many degrees of freedom as the covariance's rank. */
  statistic: number
  pValue: number
}

// scipy's default points t at which the empirical characteristic functions are compared.
const POINTS = [0.4, 0.8]
const FEATURES = 2 * POINTS.length
// scipy's small-sample correction applies below this many values in the larger sample.
const SMALL_SAMPLE = 25
// numpy.linalg.pinv's default cutoff relative to the largest singular value (array API rtol).
const PINV_CUTOFF = FEATURES * Number.EPSILON

/**
 * Epps–Singleton two-sample test, as scipy.stats.epps_singleton_2samp(x, y) (t = (0.4, 0.8)),
 * which Evidently's `es` calls: the empirical characteristic functions at t / (IQR / 2) — cos and
 * sin of each value — compared through the pseudo-inverse of their pooled biased covariance,
 * p-value from chi-squared. Each sample needs 5 values; Evidently refuses a pooled IQR of 0.
 */
export function eppsSingleton(x: ArrayLike<number>, y: ArrayLike<number>): EppsSingletonResult {
  const nx = x.length
  const ny = y.length
  if (nx < 5 || ny < 5) throw new RangeError('eppsSingleton: each sample needs 5 values')
  const pooled = new Float64Array(nx + ny)
  pooled.set(x instanceof Float64Array ? x : Float64Array.from(x))
  pooled.set(y instanceof Float64Array ? y : Float64Array.from(y), nx)
  for (let i = 0; i < pooled.length; i++)
    if (Number.isNaN(pooled[i])) throw new RangeError('eppsSingleton: samples contain NaN')
  const iqr = interquartileRange(pooled)
  if (iqr === 0) {
    throw new RangeError(
      'eppsSingleton: the interquartile range of both samples together is 0 (too little spread)',
    )
  }
  const scales = POINTS.map((t) => t / (iqr / 2))
  const gx = features(x, scales)
  const gy = features(y, scales)
  const n = nx + ny
  const covariance = new Float64Array(FEATURES * FEATURES)
  const cx = biasedCovariance(gx, nx)
  const cy = biasedCovariance(gy, ny)
  for (let i = 0; i < covariance.length; i++)
    covariance[i] = (n / nx) * (cx[i] as number) + (n / ny) * (cy[i] as number)
  const difference = gx.means.map((m, i) => m - (gy.means[i] as number))

  // Pseudo-inverse through the eigendecomposition (the SVD of a symmetric PSD matrix).
  const { values, vectors } = symmetricEigen(covariance, FEATURES)
  const largest = Math.max(...values.map(Math.abs))
  let statistic = 0
  let rank = 0
  values.forEach((value, k) => {
    if (!(Math.abs(value) > PINV_CUTOFF * largest)) return
    rank++
    let projection = 0
    for (let i = 0; i < FEATURES; i++)
      projection += (vectors[i * FEATURES + k] as number) * (difference[i] as number)
    statistic += (projection * projection) / value
  })
  statistic *= n
  if (Math.max(nx, ny) < SMALL_SAMPLE) {
    statistic *= 1 / (1 + n ** -0.45 + 10.1 * (nx ** -1.7 + ny ** -1.7))
  }
  return { statistic, pValue: chi2Sf(statistic, rank) }
}

/** cos(t·v) and sin(t·v) of every value for each t, with their means (numpy's summation order). */
function features(values: ArrayLike<number>, scales: number[]) {
  const n = values.length
  const columns = Array.from({ length: FEATURES }, () => new Float64Array(n))
  scales.forEach((scale, s) => {
    const cos = columns[s] as Float64Array
    const sin = columns[s + scales.length] as Float64Array
    for (let i = 0; i < n; i++) {
      const angle = scale * (values[i] as number)
      cos[i] = Math.cos(angle)
      sin[i] = Math.sin(angle)
    }
  })
  return { columns, means: columns.map((column) => pairwiseSum(column) / n) }
}

/**
 * The covariance of the features dividing by n (numpy.cov(…, bias=True)), row-major: one pass
 * over the centred features accumulating every product at once.
 */
function biasedCovariance(g: ReturnType<typeof features>, n: number): Float64Array {
  const [c0, c1, c2, c3] = g.columns as [Float64Array, Float64Array, Float64Array, Float64Array]
  const [m0, m1, m2, m3] = g.means as [number, number, number, number]
  let s00 = 0
  let s01 = 0
  let s02 = 0
  let s03 = 0
  let s11 = 0
  let s12 = 0
  let s13 = 0
  let s22 = 0
  let s23 = 0
  let s33 = 0
  for (let k = 0; k < n; k++) {
    const a = (c0[k] as number) - m0
    const b = (c1[k] as number) - m1
    const c = (c2[k] as number) - m2
    const d = (c3[k] as number) - m3
    s00 += a * a
    s01 += a * b
    s02 += a * c
    s03 += a * d
    s11 += b * b
    s12 += b * c
    s13 += b * d
    s22 += c * c
    s23 += c * d
    s33 += d * d
  }
  const covariance = Float64Array.of(
    s00,
    s01,
    s02,
    s03,
    s01,
    s11,
    s12,
    s13,
    s02,
    s12,
    s22,
    s23,
    s03,
    s13,
    s23,
    s33,
  )
  for (let i = 0; i < covariance.length; i++) covariance[i] = (covariance[i] as number) / n
  return covariance
}

/**
 * numpy.percentile(…, 75) − percentile(…, 25) with linear interpolation: the four order
 * statistics it needs found by selection (as numpy partitions), not a full sort.
 */
function interquartileRange(values: Float64Array): number {
  return percentile(values, 75) - percentile(values, 25)
}

function percentile(values: Float64Array, q: number): number {
  const position = (q / 100) * (values.length - 1)
  const below = Math.floor(position)
  const t = position - below
  const a = select(values, below)
  // After selecting `below`, the next order statistic is the least value to its right.
  let b = a
  if (below + 1 < values.length) {
    b = values[below + 1] as number
    for (let i = below + 2; i < values.length; i++) b = Math.min(b, values[i] as number)
  }
  // numpy's _lerp: from the nearer end, so the ends are exact.
  const difference = b - a
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t
}
