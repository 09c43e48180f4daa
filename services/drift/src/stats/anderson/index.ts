import { pooledCounts } from '../ranks/index.ts'
import { sortedSample } from '../sample/index.ts'
import { pairwiseSum } from '../summation/index.ts'

export interface AndersonResult {
  /** The normalised k-sample statistic, (A²akN − (k − 1)) / σN. */
  statistic: number
  /**
   * Interpolated from Scholz and Stephens' table, so capped at 0.25 and floored at 0.001 (scipy
   * warns there; Evidently takes the bound).
   */
  pValue: number
}

// Scholz and Stephens (1987), Table 2: critical values b0 + b1 / √m + b2 / m at these levels,
// with m = k − 1 = 1 for two samples.
const LEVELS = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001]
const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085]
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615]
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154]
const CRITICAL = B0.map((b0, i) => b0 + (B1[i] as number) / Math.sqrt(1) + (B2[i] as number) / 1)
// scipy fits log(level) by a quadratic in the critical value (numpy.polyfit) and interpolates.
const FIT = leastSquaresQuadratic(CRITICAL, LEVELS.map(Math.log))

/**
 * Two-sample Anderson–Darling test, as scipy.stats.anderson_ksamp([x, y]) with its default
 * midrank statistic (A²akN, Scholz and Stephens eq. 7), which suits ties, and p-value, which
 * Evidently's `anderson` takes. One pass over the pooled distinct values. Needs three values in
 * all, as scipy does.
 */
export function andersonDarling(x: ArrayLike<number>, y: ArrayLike<number>): AndersonResult {
  const counts = pooledCounts(
    sortedSample(x, 'andersonDarling'),
    sortedSample(y, 'andersonDarling'),
  )
  const nx = x.length
  const ny = y.length
  const n = nx + ny
  if (n < 3) throw new RangeError('andersonDarling: needs three values in all')
  const distinct = counts.values.length
  // Each distinct value z_j: lj values equal to it, Bj the pooled midrank position, Mij the
  // sample's, as scipy lays out eq. 7 (the same operations in the same order).
  const inner = new Float64Array(distinct)
  let statistic = 0
  for (const [sample, size] of [
    [counts.first, nx],
    [counts.second, ny],
  ] as const) {
    let below = 0
    let belowInSample = 0
    for (let j = 0; j < distinct; j++) {
      const inSample = sample[j] as number
      const tied = (counts.first[j] as number) + (counts.second[j] as number)
      const bj = below + tied / 2
      const mij = belowInSample + inSample - inSample / 2
      const denominator = bj * (n - bj) - (n * tied) / 4
      // One value throughout leaves 0 / 0 (scipy refuses such samples): it adds nothing.
      const difference = n * mij - bj * size
      inner[j] = difference === 0 ? 0 : ((tied / n) * difference ** 2) / denominator
      below += tied
      belowInSample += inSample
    }
    statistic += pairwiseSum(inner) / size
  }
  statistic *= (n - 1) / n
  const normalised = (statistic - 1) / Math.sqrt(variance(nx, ny))
  return { statistic: normalised, pValue: pValue(normalised) }
}

/** σN², the variance of A²akN for two samples (Scholz and Stephens eq. 4), in scipy's steps. */
function variance(nx: number, ny: number): number {
  const n = nx + ny
  const k = 2
  const hh = 1 / nx + 1 / ny
  // h = Σ_{i<N} 1/i and g = Σ_{i<j<N} 1/((N − i) j), from the running sums of 1/(N−1), 1/(N−2), …
  const running = new Float64Array(n - 2)
  let sum = 0
  for (let i = 0; i < n - 2; i++) {
    sum += 1 / (n - 1 - i)
    running[i] = sum
  }
  const h = (running[n - 3] as number) + 1
  for (let i = 0; i < n - 2; i++) running[i] = (running[i] as number) / (i + 2)
  const g = pairwiseSum(running)
  const a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * hh
  const b = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * hh - 8 * h + 4 * g - 6
  const c = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * hh + 4 * h
  const d = (2 * h + 6) * k ** 2 - 4 * h * k
  return (a * n ** 3 + b * n ** 2 + c * n + d) / ((n - 1) * (n - 2) * (n - 3))
}

function pValue(statistic: number): number {
  if (statistic < Math.min(...CRITICAL)) return Math.max(...LEVELS)
  if (statistic > Math.max(...CRITICAL)) return Math.min(...LEVELS)
  const [c2, c1, c0] = FIT
  return Math.exp((c2 * statistic + c1) * statistic + c0)
}

/**
 * Coefficients [c2, c1, c0] of the least-squares quadratic through (x, y), by modified
 * Gram–Schmidt on the Vandermonde columns scaled to unit norm (numpy.polyfit scales them too);
 * well conditioned here, so it agrees with numpy's SVD solution to rounding.
 */
function leastSquaresQuadratic(x: number[], y: number[]): [number, number, number] {
  const columns = [x.map((v) => v * v), x.slice(), x.map(() => 1)]
  const scales = columns.map((column) => Math.hypot(...column))
  const q = columns.map((column, i) => column.map((v) => v / (scales[i] as number)))
  const r = [0, 0, 0].map(() => [0, 0, 0])
  const rhs = y.slice()
  const dot = (u: number[], v: number[]) => u.reduce((s, ui, i) => s + ui * (v[i] as number), 0)
  const solution = [0, 0, 0]
  for (let j = 0; j < 3; j++) {
    const qj = q[j] as number[]
    const norm = Math.sqrt(dot(qj, qj))
    for (let i = 0; i < qj.length; i++) qj[i] = (qj[i] as number) / norm
    ;(r[j] as number[])[j] = norm
    for (let l = j + 1; l < 3; l++) {
      const ql = q[l] as number[]
      const projection = dot(qj, ql)
      ;(r[j] as number[])[l] = projection
      for (let i = 0; i < ql.length; i++) ql[i] = (ql[i] as number) - projection * (qj[i] as number)
    }
    const projection = dot(qj, rhs)
    solution[j] = projection
    for (let i = 0; i < rhs.length; i++)
      rhs[i] = (rhs[i] as number) - projection * (qj[i] as number)
  }
  for (let j = 2; j >= 0; j--) {
    let s = solution[j] as number
    for (let l = j + 1; l < 3; l++) s -= ((r[j] as number[])[l] as number) * (solution[l] as number)
    solution[j] = s / ((r[j] as number[])[j] as number)
  }
  return solution.map((s, i) => s / (scales[i] as number)) as [number, number, number]
}
