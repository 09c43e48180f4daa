/**
 * Evidently's binning (evidently.calculations.stattests.utils.get_binned_data) and the numpy
 * pieces it rests on. Missing values must be removed before any of these run.
 */

/** A categorical value: strings, or numbers standing for categories. */
export type Category = string | number

export interface CategoryCounts {
  /** Every value seen in either sample, in first-seen order. */
  keys: Category[]
  reference: Float64Array
  current: Float64Array
}

/** How often each value occurs in each sample, over the union of both samples' values. */
export function categoryCounts(
  reference: ArrayLike<Category>,
  current: ArrayLike<Category>,
): CategoryCounts {
  const index = new Map<Category, number>()
  const tally = (sample: ArrayLike<Category>) => {
    const counts: number[] = []
    for (let i = 0; i < sample.length; i++) {
      const value = sample[i] as Category
      let k = index.get(value)
      if (k === undefined) {
        k = index.size
        index.set(value, k)
      }
      counts[k] = (counts[k] ?? 0) + 1
    }
    return counts
  }
  const ref = tally(reference)
  const cur = tally(current)
  // Keys first seen in `current` are absent from `ref`: Float64Array.from fills those with 0.
  const fill = (counts: number[]) =>
    Float64Array.from({ length: index.size }, (_, k) => counts[k] ?? 0)
  return { keys: [...index.keys()], reference: fill(ref), current: fill(cur) }
}

/**
 * numpy.histogram_bin_edges(values, bins="sturges"): ⌈range / width⌉ equal bins with
 * width = range / (log2(n) + 1), edges laid out as numpy.linspace does so that values on an edge
 * fall in the same bin as in numpy. Values are treated as float64 (numpy widens the bins of
 * integer arrays to at least 1).
 */
export function sturgesEdges(values: Float64Array): Float64Array {
  if (values.length === 0) return Float64Array.of(0, 1)
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const v of values) {
    if (v < min) min = v
    if (v > max) max = v
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new RangeError(`autodetected range of [${min}, ${max}] is not finite`)
  }
  const width = (max - min) / (Math.log2(values.length) + 1)
  const [first, last] = min === max ? [min - 0.5, max + 0.5] : [min, max]
  const bins = width ? Math.ceil((last - first) / width) : 1
  const step = (last - first) / bins
  const edges = Float64Array.from({ length: bins + 1 }, (_, i) => i * step + first)
  edges[bins] = last
  return edges
}

/**
 * numpy.histogram(values, edges)[0]: bins are half-open [e_i, e_i+1) except the last, which also
 * holds its right edge; values outside the edges are not counted.
 */
export function histogram(values: Float64Array, edges: Float64Array): Float64Array {
  const bins = edges.length - 1
  const counts = new Float64Array(bins)
  const firstEdge = edges[0] as number
  const lastEdge = edges[bins] as number
  const perBin = bins / (lastEdge - firstEdge)
  for (const v of values) {
    if (v === lastEdge) {
      counts[bins - 1] = (counts[bins - 1] as number) + 1
      continue
    }
    if (!(v >= firstEdge && v < lastEdge)) continue
    // The bin of equal-width edges, then stepped to the last edge ≤ v: exact for any edges, one
    // or two comparisons for Sturges' (a binary search per value took most of the time).
    let bin = Math.min(bins - 1, Math.floor((v - firstEdge) * perBin))
    while (bin > 0 && v < (edges[bin] as number)) bin--
    while (bin < bins - 1 && v >= (edges[bin + 1] as number)) bin++
    counts[bin] = (counts[bin] as number) + 1
  }
  return counts
}

export interface BinnedShares {
  reference: Float64Array
  current: Float64Array
}

// Above this many distinct reference values a numerical column is binned rather than counted.
const MAX_DISTINCT_FOR_COUNTS = 20
// Evidently's stand-in share for an empty bin, so logarithms stay finite.
const EMPTY_BIN_SHARE = 0.0001

/**
 * Each sample's share of values per bin, as Evidently's get_binned_data: numerical samples (given
 * as Float64Array) with more than 20 distinct reference values go into Sturges bins laid over
 * both samples together; anything else gets one bin per distinct value of either sample. With
 * `fillZeroes`, empty bins get a share of 0.0001, or a millionth of the smallest non-zero share
 * when that is itself ≤ 0.0001 (so the filler never outweighs a real bin).
 */
export function binnedShares(
  reference: Float64Array | ArrayLike<Category>,
  current: Float64Array | ArrayLike<Category>,
  fillZeroes = true,
): BinnedShares {
  let ref: Float64Array
  let cur: Float64Array
  if (
    reference instanceof Float64Array &&
    current instanceof Float64Array &&
    countDistinct([reference], MAX_DISTINCT_FOR_COUNTS) > MAX_DISTINCT_FOR_COUNTS
  ) {
    const pooled = new Float64Array(reference.length + current.length)
    pooled.set(reference)
    pooled.set(current, reference.length)
    const edges = sturgesEdges(pooled)
    ref = histogram(reference, edges)
    cur = histogram(current, edges)
  } else {
    const counts = categoryCounts(reference, current)
    ref = counts.reference
    cur = counts.current
  }
  const shares = (counts: Float64Array, total: number) => {
    const out = counts.map((c) => c / total)
    if (fillZeroes) fillEmptyBins(out)
    return out
  }
  return { reference: shares(ref, reference.length), current: shares(cur, current.length) }
}

function fillEmptyBins(shares: Float64Array): void {
  let smallest = Number.POSITIVE_INFINITY
  for (const s of shares) if (s !== 0 && s < smallest) smallest = s
  const filler = smallest <= EMPTY_BIN_SHARE ? smallest / 10 ** 6 : EMPTY_BIN_SHARE
  for (let i = 0; i < shares.length; i++) if (shares[i] === 0) shares[i] = filler
}

/**
 * How many distinct values the samples hold together, counted only up to `cap + 1` so a long
 * sample stops as soon as it is known to have more than `cap`.
 */
export function countDistinct(samples: ReadonlyArray<ArrayLike<Category>>, cap: number): number {
  const seen = new Set<Category>()
  for (const sample of samples) {
    for (let i = 0; i < sample.length; i++) {
      seen.add(sample[i] as Category)
      if (seen.size > cap) return seen.size
    }
  }
  return seen.size
}
