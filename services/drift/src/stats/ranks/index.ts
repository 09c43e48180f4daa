/**
 * The pooled sample of two sorted samples as its distinct values in order, each with how many
 * times either sample holds it: ranks, midranks and both empirical CDFs follow from the counts.
 */
export interface PooledCounts {
  values: Float64Array
  /** Occurrences of each distinct value in the first sample. */
  first: Uint32Array
  /** Occurrences in the second sample. */
  second: Uint32Array
}

/** One merge pass over two ascending samples (see ../sample for sorting them). */
export function pooledCounts(a: Float64Array, b: Float64Array): PooledCounts {
  const capacity = a.length + b.length
  const values = new Float64Array(capacity)
  const first = new Uint32Array(capacity)
  const second = new Uint32Array(capacity)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length || j < b.length) {
    const value =
      j >= b.length || (i < a.length && (a[i] as number) <= (b[j] as number))
        ? (a[i] as number)
        : (b[j] as number)
    const i0 = i
    const j0 = j
    while (i < a.length && a[i] === value) i++
    while (j < b.length && b[j] === value) j++
    values[k] = value
    first[k] = i - i0
    second[k] = j - j0
    k++
  }
  return {
    values: values.subarray(0, k),
    first: first.subarray(0, k),
    second: second.subarray(0, k),
  }
}
