/** Order statistics without a full sort. */

/**
 * The k-th smallest value (0-based), partitioning `values` in place around it (Hoare's
 * quickselect with a median-of-three pivot): smaller values before k, larger after.
 */
export function select(values: Float64Array, k: number): number {
  let lo = 0
  let hi = values.length - 1
  while (hi > lo) {
    const mid = (lo + hi) >>> 1
    const pivot = median3(values[lo] as number, values[mid] as number, values[hi] as number)
    let i = lo
    let j = hi
    while (i <= j) {
      while ((values[i] as number) < pivot) i++
      while ((values[j] as number) > pivot) j--
      if (i <= j) {
        const swap = values[i] as number
        values[i++] = values[j] as number
        values[j--] = swap
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else break
  }
  return values[k] as number
}

const median3 = (a: number, b: number, c: number) =>
  Math.max(Math.min(a, b), Math.min(Math.max(a, b), c))
