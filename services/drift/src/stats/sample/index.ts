import { radixSortFloat64 } from './radix.ts'

/**
 * A sorted copy of a numerical sample for the ECDF-based statistics, which need it non-empty and
 * free of NaN (missing values are dropped before a test, not here).
 */
export function sortedSample(values: ArrayLike<number>, caller: string): Float64Array {
  if (values.length === 0) throw new RangeError(`${caller}: samples must not be empty`)
  const sorted = radixSortFloat64(Float64Array.from(values))
  // NaN sorts to an end: last, or first when its sign bit is set.
  if (Number.isNaN(sorted[0]) || Number.isNaN(sorted[sorted.length - 1]))
    throw new RangeError(`${caller}: samples contain NaN`)
  return sorted
}
