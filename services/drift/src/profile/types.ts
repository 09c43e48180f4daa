// The profile's shapes on their own: the quality checks read them, and the profile reads values
// with the quality checks' readers.
import type { Table } from '../detect/index.ts'
import type { KllJson } from '../sketch/index.ts'

export interface NumericalProfile {
  type: 'numerical'
  /** Values present: finite numbers or numeric strings. */
  count: number
  /** Values missing or not numbers. */
  missing: number
  /** Null when the column has no values. */
  min: number | null
  max: number | null
  mean: number | null
  /** Population standard deviation (numpy's ddof = 0). */
  std: number | null
  sketch: KllJson
  /** Sturges bins over the reference (numpy.histogram_bin_edges(…, "sturges")) and their counts. */
  histogram: { edges: number[]; counts: number[] }
}

export interface CategoricalProfile {
  type: 'categorical'
  count: number
  missing: number
  /**
   * Count by category key (numbers as their string form), first-seen order. Past 1000 distinct
   * values the rest are counted under OVERFLOW_CATEGORY (see ../sketch).
   */
  frequencies: Record<string, number>
}

export type ColumnProfile = NumericalProfile | CategoricalProfile

/** A column of fixed-length vectors (an embedding), tested whole (see ../embeddings). */
export interface EmbeddingProfile {
  type: 'embedding'
  /** Values per vector. */
  dim: number
  /** Rows with a vector; the others are missing. */
  count: number
  missing: number
  /**
   * A uniform sample of the vectors, at most sampleSize and at most 2^19 values in all (so
   * 128 vectors of 4,096 values), in reference order.
   */
  sample: number[][]
}

export interface ReferenceProfile {
  version: 1
  rows: number
  created_at: string
  columns: Record<string, ColumnProfile>
  /**
   * A uniform sample of at most `sampleSize` reference rows, in reference order, typed as window
   * tables are: numbers for numerical columns, category keys for categorical ones, null for
   * missing values.
   */
  sample: Table
  /** Vector columns, apart from `columns`: the rows' cells there are JSON arrays of numbers. */
  embeddings?: Record<string, EmbeddingProfile>
}
