/**
 * Evidently's `mmd` embedding drift: the unbiased squared maximum mean discrepancy (Gretton et
 * al.'s MMD²_u) under an RBF kernel exp(−γ‖a − b‖²) whose γ is 1 / median² of the euclidean
 * distances between the samples (Evidently's median heuristic, over at most 1,000 rows of each,
 * chosen as pandas' `sample(random_state=0)` chooses them).
 */

import { choice, RandomState } from './draws.ts'
import { type Matrix, median, rowsOf, squaredDistance } from './matrix.ts'

// Evidently's bandwidth sample; Infera also caps the kernel's rows at it (see README).
export const KERNEL_ROWS = 1000
const DRAWS = 100

/** Up to KERNEL_ROWS rows, as `df.sample(min(len(df), 1000), random_state=0)` picks them. */
export function kernelSample(matrix: Matrix): Matrix {
  if (matrix.rows <= KERNEL_ROWS) return matrix
  return rowsOf(matrix, new RandomState(0).permutation(matrix.rows).subarray(0, KERNEL_ROWS))
}

/**
 * Squared euclidean distances between every two rows, full and symmetric: both kernels and both
 * bandwidths read blocks of it, so the rows are compared once.
 */
function squaredDistances(rows: Matrix): Float64Array {
  const n = rows.rows
  const d = new Float64Array(n * n)
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const v = squaredDistance(rows, a, rows, b)
      d[a * n + b] = v
      d[b * n + a] = v
    }
  }
  return d
}

/**
 * γ = 1 / median(‖a − b‖)² over rows [a0, a1) × [b0, b1) of `d` (width n): the x–y block, or
 * the x–x block with its diagonal of zeros, as Evidently's pairwise_distances gives them.
 */
function bandwidth(d: Float64Array, n: number, a0: number, a1: number, b0: number, b1: number) {
  const distances = new Float64Array((a1 - a0) * (b1 - b0))
  let k = 0
  for (let a = a0; a < a1; a++) {
    for (let b = b0; b < b1; b++) distances[k++] = Math.sqrt(d[a * n + b] as number)
  }
  return 1 / median(distances) ** 2
}

/** exp(−γ d) over the first `size` rows of `d` (width n), as a size × size matrix. */
function kernel(d: Float64Array, n: number, size: number, gamma: number): Float64Array {
  const k = new Float64Array(size * size)
  for (let a = 0; a < size; a++) {
    for (let b = 0; b < size; b++) k[a * size + b] = Math.exp(-gamma * (d[a * n + b] as number))
  }
  return k
}

function stack(x: Matrix, y: Matrix): Matrix {
  const data = new Float64Array((x.rows + y.rows) * x.dim)
  data.set(x.data)
  data.set(y.data, x.data.length)
  return { rows: x.rows + y.rows, dim: x.dim, data }
}

/**
 * MMD²_u of the rows `xs` and `ys` of kernel `k` (width `n`): indices may repeat (bootstrap
 * draws), the diagonal terms of each block are left out as in Evidently's MMD2u.
 */
function mmd2u(k: Float64Array, n: number, xs: Uint32Array, ys: Uint32Array): number {
  const m = xs.length
  const l = ys.length
  return (
    (blockSum(k, n, xs, xs) - diagonalSum(k, n, xs)) / (m * (m - 1)) +
    (blockSum(k, n, ys, ys) - diagonalSum(k, n, ys)) / (l * (l - 1)) -
    (2 * blockSum(k, n, xs, ys)) / (m * l)
  )
}

function blockSum(k: Float64Array, n: number, as: Uint32Array, bs: Uint32Array): number {
  let sum = 0
  for (let i = 0; i < as.length; i++) {
    const row = (as[i] as number) * n
    for (let j = 0; j < bs.length; j++) sum += k[row + (bs[j] as number)] as number
  }
  return sum
}

function diagonalSum(k: Float64Array, n: number, as: Uint32Array): number {
  let sum = 0
  for (let i = 0; i < as.length; i++) sum += k[(as[i] as number) * (n + 1)] as number
  return sum
}

/**
 * MMD²_u with the first `m` of `order` as x and the rest as y: for a permutation, one pass over
 * the kernel's upper triangle, each entry summed into its block by the two rows' sides.
 */
function relabelledMmd2u(k: Float64Array, n: number, order: Uint32Array, m: number): number {
  const isX = new Uint8Array(n)
  for (let i = 0; i < m; i++) isX[order[i] as number] = 1
  let xx = 0
  let yy = 0
  let xy = 0
  for (let a = 0; a < n; a++) {
    const row = a * n
    const ax = isX[a]
    for (let b = a + 1; b < n; b++) {
      const v = k[row + b] as number
      if (ax !== isX[b]) xy += v
      else if (ax === 1) xx += v
      else yy += v
    }
  }
  const l = n - m
  // Each off-diagonal pair counts twice in a block's sum, as in MMD2u's full blocks.
  return (2 * xx) / (m * (m - 1)) + (2 * yy) / (l * (l - 1)) - (2 * xy) / (m * l)
}

const range = (from: number, to: number) =>
  Uint32Array.from({ length: to - from }, (_, i) => from + i)

export interface MmdResult {
  /** MMD²_u, which can fall below 0 (Evidently reports max(·, 0) and decides on the raw value). */
  mmd2u: number
  /** The share of 100 seeded relabelings (numpy permutations, seeds 0 … 99) at least as large. */
  pValue: number
  /** MMD²_u between pairs of reference resamples (Evidently's bootstrap), when asked for. */
  bootstrap?: Float64Array
}

export function maximumMeanDiscrepancy(
  reference: Matrix,
  current: Matrix,
  bootstrap: boolean,
): MmdResult {
  const x = kernelSample(reference)
  const y = kernelSample(current)
  const m = x.rows
  const n = m + y.rows
  const d = squaredDistances(stack(x, y))
  const k = kernel(d, n, n, bandwidth(d, n, 0, m, m, n))
  const observed = mmd2u(k, n, range(0, m), range(m, n))
  // A permutation test: under no drift the labels are exchangeable.
  let atLeast = 0
  for (let i = 0; i < DRAWS; i++) {
    if (relabelledMmd2u(k, n, new RandomState(i).permutation(n), m) >= observed) atLeast++
  }
  const result: MmdResult = { mmd2u: observed, pValue: (atLeast + 1) / (DRAWS + 1) }
  if (!bootstrap) return result
  const kx = kernel(d, n, m, bandwidth(d, n, 0, m, 0, m))
  const xSize = Math.max(Math.trunc((m * m) / n), 1)
  const ySize = Math.max(Math.trunc((m * y.rows) / n), 1)
  result.bootstrap = Float64Array.from({ length: DRAWS }, (_, i) => {
    const random = new RandomState(i)
    const xs = choice(random, m, xSize)
    return mmd2u(kx, m, xs, choice(random, m, ySize))
  })
  return result
}
