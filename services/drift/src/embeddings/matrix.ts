/** Rows of fixed-length vectors, row-major in one Float64Array, and the numpy steps on them. */
export interface Matrix {
  readonly rows: number
  readonly dim: number
  readonly data: Float64Array
}

export function rowsOf(matrix: Matrix, indices: ArrayLike<number>): Matrix {
  const { dim } = matrix
  const data = new Float64Array(indices.length * dim)
  for (let i = 0; i < indices.length; i++) {
    const from = (indices[i] as number) * dim
    data.set(matrix.data.subarray(from, from + dim), i * dim)
  }
  return { rows: indices.length, dim, data }
}

/** The mean of each component (`emb.mean(axis=0)`). */
export function columnMeans(matrix: Matrix): Float64Array {
  const { rows, dim, data } = matrix
  const means = new Float64Array(dim)
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) means[j] = (means[j] as number) + (data[r * dim + j] as number)
  }
  for (let j = 0; j < dim; j++) means[j] = (means[j] as number) / rows
  return means
}

export function component(matrix: Matrix, j: number): Float64Array {
  const out = new Float64Array(matrix.rows)
  for (let r = 0; r < matrix.rows; r++) out[r] = matrix.data[r * matrix.dim + j] as number
  return out
}

/** Squared euclidean distance between row a of `x` and row b of `y`. */
export function squaredDistance(x: Matrix, a: number, y: Matrix, b: number): number {
  const xs = x.data
  const ys = y.data
  const dim = x.dim
  let i = a * dim
  let j = b * dim
  const end = i + dim
  let sum = 0
  for (; i < end; i++, j++) {
    const d = (xs[i] as number) - (ys[j] as number)
    sum += d * d
  }
  return sum
}

/** `np.percentile(values, 100 * probability)`, linear interpolation as numpy's `_lerp`. */
export function percentile(values: ArrayLike<number>, probability: number): number {
  const sorted = Float64Array.from(values).sort()
  const index = ((100 * probability) / 100) * (sorted.length - 1)
  const below = Math.floor(index)
  const a = sorted[below] as number
  const b = sorted[Math.min(below + 1, sorted.length - 1)] as number
  const t = index - below
  // numpy interpolates from the nearer end, so t ≥ 0.5 counts back from b.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
}

/** `np.median`: the mean of the two middle values for an even count. */
export const median = (values: ArrayLike<number>) => percentile(values, 0.5)
