import type { TestResult } from '../chisquare/index.ts'
import { RandomState } from '../mt19937/index.ts'
import { select } from '../sample/select.ts'

// Evidently's permutation count. Its permutations come from numpy's unseeded global generator, so
// its p-value varies from run to run; Infera seeds the same generator with 0 and is repeatable.
const PERMUTATIONS = 100
const SEED = 0
/**
 * Evidently builds the full (n + m)² kernel matrix and permutes it 100 times: 2 × 100,000 values
 * would need 320 GB. Larger samples are cut to this many values each, drawn without replacement
 * by the same seeded generator (np.random.choice(sample, 1000, replace=False)).
 */
export const MMD_MAX_SAMPLE = 1000

/**
 * Evidently's empirical_mmd stattest: the unbiased squared maximum mean discrepancy between the
 * samples under a Gaussian (RBF) kernel whose bandwidth σ is √(½ · median squared distance) within
 * the reference (numpy's "nearest" percentile, over all n² ordered pairs, self-pairs included;
 * 1/√2 when that median is 0), and the share of 100 random relabellings of the pooled values with
 * an MMD at least as large. Squared distances are computed as Evidently computes them,
 * b² − 2ab + a², rounding included. Samples above MMD_MAX_SAMPLE values are subsampled first.
 */
export function empiricalMmd(reference: Float64Array, current: Float64Array): TestResult {
  if (reference.length < 2 || current.length < 2) {
    throw new RangeError('empirical_mmd needs at least 2 values in each sample')
  }
  const random = new RandomState(SEED)
  const x = subsample(reference, random)
  const y = subsample(current, random)
  const kernel = kernelMatrix(x, y)
  const total = x.length + y.length
  const inX = new Float64Array(total)
  inX.fill(1, 0, x.length)
  const statistic = mmd(kernel, inX, x.length, y.length)
  let extreme = 0
  for (let p = 0; p < PERMUTATIONS; p++) {
    // kernel[index][:, index] with the first n of `index` as X: only membership matters.
    const index = random.permutation(total)
    inX.fill(0)
    for (let i = 0; i < x.length; i++) inX[index[i] as number] = 1
    if (statistic <= mmd(kernel, inX, x.length, y.length)) extreme++
  }
  return { statistic, pValue: extreme / PERMUTATIONS }
}

function subsample(values: Float64Array, random: RandomState): Float64Array {
  if (values.length <= MMD_MAX_SAMPLE) return values
  const index = random.permutation(values.length)
  return Float64Array.from(
    { length: MMD_MAX_SAMPLE },
    (_, i) => values[index[i] as number] as number,
  )
}

/** Evidently's squared_paired_dist for one pair: b² − 2ab + a², in its order of operations. */
const squaredDistance = (a: number, b: number) => b * b - 2 * (a * b) + a * a

/**
 * The pooled (n + m)² kernel matrix, row-major, X first, with a zero diagonal: Evidently's
 * kernel_matrix minus its diagonal. Kxy is computed once and mirrored, as Evidently transposes it.
 */
function kernelMatrix(x: Float64Array, y: Float64Array): Float64Array {
  const n = x.length
  const total = n + y.length
  const kernel = new Float64Array(total * total)
  // Reference distances first: their median sets the bandwidth.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++)
      kernel[i * total + j] = squaredDistance(x[i] as number, x[j] as number)
  }
  const reference = new Float64Array(n * n)
  for (let i = 0; i < n; i++) reference.set(kernel.subarray(i * total, i * total + n), i * n)
  const median = select(reference, roundHalfEven(0.5 * (n * n - 1)))
  const root = Math.sqrt(0.5 * median)
  const sigma = root === 0 ? Math.SQRT1_2 : root
  const gamma = 1 / (2 * (sigma * sigma))
  for (let i = 0; i < total; i++) {
    const a = i < n ? (x[i] as number) : (y[i - n] as number)
    for (let j = 0; j < total; j++) {
      const at = i * total + j
      if (i === j) kernel[at] = 0
      else if (i < n && j < n) kernel[at] = Math.exp(-gamma * (kernel[at] as number))
      else if (i >= n && j < n) kernel[at] = kernel[j * total + i] as number
      else {
        const b = j < n ? (x[j] as number) : (y[j - n] as number)
        kernel[at] = Math.exp(-gamma * squaredDistance(a, b))
      }
    }
  }
  return kernel
}

/** np.around: halves go to the even neighbour. */
const roundHalfEven = (v: number) => (v % 1 === 0.5 ? 2 * Math.round(v / 2) : Math.round(v))

/**
 * Evidently's mmd_2samp on the split given by `inX` (1 for the rows taken as X):
 * Σ Kxx / (n(n − 1)) + Σ Kyy / (m(m − 1)) − 2 · mean Kyx, Kyx being the block of Y rows and
 * X columns, as Evidently slices it.
 */
function mmd(kernel: Float64Array, inX: Float64Array, n: number, m: number): number {
  const total = n + m
  let xx = 0
  let yy = 0
  let yx = 0
  for (let i = 0; i < total; i++) {
    const row = i * total
    // Products with 0 and 1 are exact: these are the plain sums over each block's columns.
    let toX = 0
    let toY = 0
    for (let j = 0; j < total; j++) {
      const k = kernel[row + j] as number
      const w = inX[j] as number
      toX += w * k
      toY += k - w * k
    }
    if (inX[i] === 1) xx += toX
    else {
      yy += toY
      yx += toX
    }
  }
  return (1 / (n * (n - 1))) * xx + (1 / (m * (m - 1))) * yy - 2 * (yx / (n * m))
}
