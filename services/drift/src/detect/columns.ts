/**
 * Column typing and cleaning before a drift test, following Evidently's data definition and its
 * get_one_column_drift.
 */
import { type Category, countDistinct } from '../stats/index.ts'

export type Value = number | string | null
/** A table by columns. */
export type Table = Record<string, ReadonlyArray<Value>>
export type ColumnType = 'numerical' | 'categorical'

/** A column's non-missing values: numbers for numerical columns, categories otherwise. */
export type ColumnValues = Float64Array | Category[]

/** Raised for input that cannot be compared: the message names the column. */
export class DriftInputError extends Error {
  override name = 'DriftInputError'
}

// Evidently's NUMBER_UNIQUE_AS_CATEGORICAL: integer columns with this few values are categories.
const MAX_INTEGER_CATEGORIES = 5

/** null, NaN and ±Infinity are missing (Evidently replaces ±inf with NaN, then drops NaN). */
export function isMissing(value: Value | undefined): value is null | undefined {
  return (
    value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))
  )
}

/**
 * Evidently's inference: a column holding any string is categorical; a numeric column whose
 * values are all integers (pandas' integer dtype) and whose reference has at most 5 distinct
 * values is categorical too; any other numeric column is numerical. Missing values are ignored.
 */
export function inferType(
  reference: ReadonlyArray<Value>,
  current: ReadonlyArray<Value>,
): ColumnType {
  let integers = true
  for (const sample of [reference, current]) {
    for (const value of sample) {
      if (isMissing(value)) continue
      if (typeof value === 'string') return 'categorical'
      if (!Number.isInteger(value)) integers = false
    }
  }
  if (!integers) return 'numerical'
  // Evidently counts the reference's values, or the current's when the reference has none.
  const present = reference.filter((v) => !isMissing(v))
  const sample = present.length > 0 ? present : current.filter((v) => !isMissing(v))
  const distinct = countDistinct([sample as Category[]], MAX_INTEGER_CATEGORIES)
  return distinct <= MAX_INTEGER_CATEGORIES ? 'categorical' : 'numerical'
}

/** The column's values with missing ones dropped, typed for its tests. */
export function cleanColumn(
  column: string,
  sample: 'reference' | 'current',
  type: ColumnType,
  values: ReadonlyArray<Value>,
): ColumnValues {
  const present = values.filter((v): v is Category => !isMissing(v))
  if (present.length === 0) {
    throw new DriftInputError(`column '${column}' has no values in the ${sample} data`)
  }
  if (type === 'categorical') return present
  const numbers = new Float64Array(present.length)
  for (let i = 0; i < present.length; i++) {
    const value = present[i]
    if (typeof value !== 'number') {
      throw new DriftInputError(
        `column '${column}' is numerical but the ${sample} data holds ${JSON.stringify(value)}`,
      )
    }
    numbers[i] = value
  }
  return numbers
}
