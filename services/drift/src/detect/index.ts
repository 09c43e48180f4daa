/**
 * Column-level and dataset-level drift decisions, made as Evidently's DataDriftPreset makes them
 * (see ../stats/README.md for the conventions and where Infera departs from Evidently).
 */
import type { EmbeddingDrift } from '../embeddings/index.ts'
import { benjaminiHochberg, bonferroni, categoryCounts } from '../stats/index.ts'
import {
  type ColumnType,
  type ColumnValues,
  cleanColumn,
  DriftInputError,
  inferType,
  type Table,
} from './columns.ts'
import {
  autoMethod,
  isDrifted,
  isPValueMethod,
  METHOD_SPECS,
  METHODS,
  type Method,
  type MethodResult,
} from './methods.ts'

export { type ColumnType, DriftInputError, inferType, type Table, type Value } from './columns.ts'
export { autoMethod, METHODS, type Method, methodFits } from './methods.ts'

export type Correction = 'none' | 'bonferroni' | 'benjamini-hochberg'

export interface DriftOptions {
  /** Columns to compare; every column of the reference by default. */
  columns?: readonly string[]
  /** Column types by name, overriding inference. */
  types?: Record<string, ColumnType>
  /** Method by column name, overriding the automatic choice. */
  methods?: Record<string, Method>
  /** Threshold by column name, overriding the method's default. */
  thresholds?: Record<string, number>
  /** Share of drifted columns at which the dataset drifts (Evidently's drift_share, 0.5). */
  driftShare?: number
  /** Adjusts the p-values of the columns tested by p-value for their number. Default none. */
  correction?: Correction
  /**
   * Effective sample size n1·n2 / (n1 + n2) above which a p-value test is flagged in `warnings`;
   * default 1000, the reference size above which Evidently stops choosing p-value tests.
   */
  largeSample?: number
}

/** The sketch-based KS the drift service offers for streams; it tests sketches, not samples. */
export const SKETCH_KS = 'ks_sketch'
export type ReportedMethod = Method | typeof SKETCH_KS

export interface FeatureDrift {
  type: ColumnType
  method: ReportedMethod
  /** The test statistic, or the distance (normed for Wasserstein). */
  statistic: number
  p_value: number | null
  /** The corrected p-value the decision used, when a correction was asked for. */
  adjusted_p_value?: number
  threshold: number
  drifted: boolean
}

export interface DriftReport {
  /** The rule: the dataset drifts when share_drifted ≥ drift_share. */
  drift_share: number
  dataset_drift: boolean
  share_drifted: number
  drifted_columns: number
  number_of_columns: number
  features: Record<string, FeatureDrift>
  /**
   * Vector columns, each tested whole (../embeddings). Reported beside the features and, as in
   * Evidently (a separate metric from the dataset drift), not counted in share_drifted.
   */
  embeddings?: Record<string, EmbeddingDrift>
  warnings: string[]
}

const DEFAULT_DRIFT_SHARE = 0.5
const DEFAULT_LARGE_SAMPLE = 1000

/** The report of data with no tabular column to test (only vector columns): nothing drifted. */
export const noFeatures = (driftShare = DEFAULT_DRIFT_SHARE): DriftReport => ({
  drift_share: driftShare,
  dataset_drift: false,
  share_drifted: 0,
  drifted_columns: 0,
  number_of_columns: 0,
  features: {},
  warnings: [],
})

interface ColumnRun {
  column: string
  type: ColumnType
  method: Method
  threshold: number
  result: MethodResult
  effectiveSize: number
  /** For an infinite chi-square: the current categories the reference never had, with counts. */
  unseen?: Map<string, number>
}

/**
 * Compares each column of `current` with the same column of `reference` and decides, per column
 * and for the dataset, whether the data drifted. Missing values (null, NaN, ±Infinity) are
 * dropped first. Throws DriftInputError, naming the column, for a column missing from either
 * table or left empty, a method that does not fit the column's type, or a bad option.
 */
export function detectDrift(
  reference: Table,
  current: Table,
  options: DriftOptions = {},
): DriftReport {
  const columns = options.columns ?? Object.keys(reference)
  if (columns.length === 0) throw new DriftInputError('no columns to compare')
  const driftShare = options.driftShare ?? DEFAULT_DRIFT_SHARE
  if (!(driftShare >= 0 && driftShare <= 1)) {
    throw new DriftInputError(`driftShare must lie in [0, 1], not ${driftShare}`)
  }

  const runs = columns.map((column) => testColumn(column, reference, current, options))
  const adjusted = adjustPValues(runs, options.correction ?? 'none')

  const entries = runs.map((run): [string, FeatureDrift] => {
    const adjustedP = adjusted.get(run)
    const score = adjustedP ?? run.result.pValue ?? run.result.statistic
    const feature: FeatureDrift = {
      type: run.type,
      method: run.method,
      statistic: run.result.statistic,
      p_value: run.result.pValue,
      threshold: run.threshold,
      drifted: isDrifted(METHOD_SPECS[run.method].rule, score, run.threshold),
    }
    if (adjustedP !== undefined) feature.adjusted_p_value = adjustedP
    return [run.column, feature]
  })
  const drifted = entries.filter(([, feature]) => feature.drifted).length
  const share = drifted / runs.length
  // fromEntries defines own properties, so a column named __proto__ stays a column.
  const features = Object.fromEntries(entries)
  return {
    drift_share: driftShare,
    dataset_drift: share >= driftShare,
    share_drifted: share,
    drifted_columns: drifted,
    number_of_columns: runs.length,
    features,
    warnings: [
      ...infiniteChiSquareWarnings(runs),
      ...largeSampleWarnings(runs, options.largeSample ?? DEFAULT_LARGE_SAMPLE),
    ],
  }
}

function testColumn(
  column: string,
  reference: Table,
  current: Table,
  options: DriftOptions,
): ColumnRun {
  const rawReference = own(reference, column)
  const rawCurrent = own(current, column)
  if (!rawReference) throw new DriftInputError(`column '${column}' is not in the reference data`)
  if (!rawCurrent) throw new DriftInputError(`column '${column}' is not in the current data`)

  const type = own(options.types, column) ?? inferType(rawReference, rawCurrent)
  if (type !== 'numerical' && type !== 'categorical') {
    throw new DriftInputError(`column '${column}': unknown type '${type}'`)
  }
  const ref = cleanColumn(column, 'reference', type, rawReference)
  const cur = cleanColumn(column, 'current', type, rawCurrent)

  const method = own(options.methods, column) ?? autoMethod(type, ref, cur)
  if (!METHODS.includes(method)) {
    throw new DriftInputError(
      `column '${column}': unknown method '${method}' (known: ${METHODS.join(', ')})`,
    )
  }
  const spec = METHOD_SPECS[method]
  if (!spec.types.includes(type)) {
    throw new DriftInputError(`column '${column}' is ${type}: method '${method}' does not apply`)
  }
  const threshold = own(options.thresholds, column) ?? spec.defaultThreshold
  if (!Number.isFinite(threshold)) {
    throw new DriftInputError(`column '${column}': threshold must be a number, not ${threshold}`)
  }
  let result: MethodResult
  try {
    result = spec.run(ref, cur)
  } catch (error) {
    // The statistics refuse data they cannot test (fisher_exact on more than two categories)
    // with a RangeError: the caller's input, so reported against the column.
    if (error instanceof RangeError)
      throw new DriftInputError(`column '${column}': ${error.message}`)
    throw error
  }
  const run: ColumnRun = {
    column,
    type,
    method,
    threshold,
    result,
    effectiveSize: effectiveSize(ref, cur),
  }
  if (method === 'chisquare' && result.statistic === Number.POSITIVE_INFINITY) {
    run.unseen = unseenCategories(ref, cur)
  }
  return run
}

/** Categories of `current` that `reference` lacks, with their counts in `current`. */
function unseenCategories(reference: ColumnValues, current: ColumnValues): Map<string, number> {
  const counts = categoryCounts(reference, current)
  const unseen = new Map<string, number>()
  counts.keys.forEach((key, i) => {
    if (counts.reference[i] === 0 && (counts.current[i] as number) > 0)
      unseen.set(String(key), counts.current[i] as number)
  })
  return unseen
}

/** record[key] if the record itself has it: a column named 'constructor' is not Object's. */
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined
}

const effectiveSize = (a: ColumnValues, b: ColumnValues) =>
  (a.length * b.length) / (a.length + b.length)

/** Corrected p-values of the p-value tests, over those tests only. */
function adjustPValues(runs: ColumnRun[], correction: Correction): Map<ColumnRun, number> {
  if (correction === 'none') return new Map()
  const tested = runs.filter((run) => isPValueMethod(run.method))
  const pValues = tested.map((run) => run.result.pValue as number)
  let corrected: Float64Array
  if (correction === 'bonferroni') corrected = bonferroni(pValues)
  else if (correction === 'benjamini-hochberg') corrected = benjaminiHochberg(pValues)
  else throw new DriftInputError(`unknown correction '${correction}'`)
  return new Map(tested.map((run, i) => [run, corrected[i] as number]))
}

// Named categories in one warning: the rest are counted.
const LISTED_CATEGORIES = 5

/**
 * Why a chi-square is infinite: a category the reference never had is expected 0 times, and
 * (o − 0)² / 0 is infinite, so p = 0 and the column drifts at any threshold.
 */
function infiniteChiSquareWarnings(runs: ColumnRun[]): string[] {
  return runs.flatMap((run) => {
    if (!run.unseen || run.unseen.size === 0) return []
    const entries = [...run.unseen]
    const listed = entries
      .slice(0, LISTED_CATEGORIES)
      .map(([name, count]) => `'${name}' (${count} rows)`)
      .join(', ')
    const more =
      entries.length > LISTED_CATEGORIES ? ` and ${entries.length - LISTED_CATEGORIES} more` : ''
    return [
      `column '${run.column}': chi-square statistic is infinite because the current data has ` +
        `categories the reference never had, ${listed}${more}; a category expected 0 times makes ` +
        'the statistic infinite and the p-value 0, so the column drifts whatever the threshold',
    ]
  })
}

function largeSampleWarnings(runs: ColumnRun[], largeSample: number): string[] {
  return runs
    .filter((run) => isPValueMethod(run.method) && run.effectiveSize > largeSample)
    .map(
      (run) =>
        `column '${run.column}': ${run.method} p-value on an effective sample of ` +
        `${Math.round(run.effectiveSize)} rows (above ${largeSample}); samples this large make ` +
        'negligible differences significant, consider wasserstein or jensenshannon',
    )
}
