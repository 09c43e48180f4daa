// A window's snapshot on its own: the windows make it, the distributions and summaries read it.
import type { Table } from '../detect/index.ts'
import type { Matrix } from '../embeddings/index.ts'
import type { QualityReport, WindowInfo } from '../evaluation/index.ts'
import type { Kll } from '../sketch/index.ts'

/** One window: its rows summarised, sampled and checked. */
export interface WindowSnapshot {
  info: WindowInfo
  /**
   * A uniform sample of the window's rows (all of them up to sampleSize), oldest pane first:
   * numbers in numerical columns, category keys in categorical ones, null for missing or
   * wrongly typed values. Ready for detectDrift against the profile's sample.
   */
  table: Table
  /** Every value of each numerical column, sketched. */
  sketches: Record<string, Kll>
  /** Every value of each categorical column, counted (capped; see ../sketch). */
  counts: Record<string, Map<string, number>>
  quality: QualityReport
  /** A uniform sample of each vector column's vectors (missing ones left out), if it has any. */
  vectors?: Record<string, Matrix>
}
