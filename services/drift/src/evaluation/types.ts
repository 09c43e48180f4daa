import type { DriftReport } from '../detect/index.ts'

/** The stretch of the stream an evaluation covers. */
export interface WindowInfo {
  /** Stable across re-evaluations of the same window: `<model>:<version>:<start ISO>:<end ISO>`. */
  id: string
  kind: 'count' | 'time'
  /** ISO 8601 timestamps of the first and last row (or the window's bounds, for time windows). */
  start: string
  end: string
  rows: number
}

/** Data quality of one feature over a window, against the reference profile. */
export interface FeatureQuality {
  missing: number
  /** Numerical values outside the reference's [min, max]. */
  out_of_range: number
  /** Categorical values the reference never saw. */
  unseen_category: number
  /** Values of the wrong type: text in a numerical feature, a number or object where text belongs. */
  wrong_type: number
  missing_rate: number
  out_of_range_rate: number
  unseen_category_rate: number
  wrong_type_rate: number
}

export interface QualityReport {
  rows: number
  features: Record<string, FeatureQuality>
  /** Features the reference has and the rows lacked entirely, and keys the reference doesn't know. */
  missing_features: string[]
  unknown_features: string[]
}

/** Shares per bin, reference and current side by side, for plotting. */
export type Distribution =
  | { type: 'numerical'; edges: number[]; reference: number[]; current: number[] }
  | { type: 'categorical'; categories: string[]; reference: number[]; current: number[] }

/** Model quality over a window, from labels that arrived later (joined by request id). */
export interface PerformanceReport {
  task: 'classification' | 'regression'
  labelled_rows: number
  accuracy?: number
  macro_f1?: number
  mae?: number
  rmse?: number
}

/** One side (reference or current) of a numerical feature, over its present values. */
export interface NumericalSummary {
  count: number
  /** Values missing or not numbers. */
  missing: number
  /** Null when there is no value. */
  mean: number | null
  /** Population standard deviation (ddof = 0). */
  std: number | null
  min: number | null
  p25: number | null
  median: number | null
  p75: number | null
  max: number | null
}

/** One side of a categorical feature: its largest categories and their shares of present values. */
export interface CategoricalSummary {
  count: number
  missing: number
  distinct: number
  top: { category: string; share: number }[]
}

/** Summary statistics of one feature, reference and current side by side. */
export type FeatureSummary =
  | { type: 'numerical'; reference: NumericalSummary; current: NumericalSummary }
  | { type: 'categorical'; reference: CategoricalSummary; current: CategoricalSummary }

/** The two files `infera drift compare` compared, by name and data rows. */
export interface ComparedFiles {
  reference: { name: string; rows: number }
  current: { name: string; rows: number }
}

/** One evaluation of a window against a model version's reference: what is stored, served and drawn. */
export interface DriftEvaluation {
  model: string
  version: string
  evaluated_at: string
  window: WindowInfo
  reference_rows: number
  drift: DriftReport
  quality: QualityReport
  performance?: PerformanceReport
  distributions: Record<string, Distribution>
  /** Absent from evaluations stored before summaries were recorded. */
  summaries?: Record<string, FeatureSummary>
  /** Set when two files were compared rather than a window of a model's stream. */
  files?: ComparedFiles
}
