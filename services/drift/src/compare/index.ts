import { basename } from 'node:path'
import {
  type ColumnType,
  DriftInputError,
  type DriftReport,
  detectDrift,
  inferType,
  type Method,
  methodFits,
  noFeatures,
  type Table,
} from '../detect/index.ts'
import {
  type EmbeddingDrift,
  type EmbeddingMethod,
  embeddingDrift,
  isVectorColumn,
  vectorMatrix,
} from '../embeddings/index.ts'
import type { DriftEvaluation } from '../evaluation/index.ts'
import { buildProfile } from '../profile/index.ts'
import { assertSameColumns, readCsvTable } from '../table/index.ts'
import { DriftWindows, distributions, summaries } from '../window/index.ts'

export interface CompareOptions {
  reference: string
  current: string
  /** Applies to the columns it fits; the others keep the automatic choice. */
  method?: Method | 'auto'
  /** The threshold of the columns `method` applies to (every column with `auto`). */
  threshold?: number
  numerical?: string[]
  categorical?: string[]
  /** The test of vector columns (cells that are JSON arrays of numbers); Evidently's `model`. */
  embeddingMethod?: EmbeddingMethod
}

export interface Comparison {
  reference: Table
  current: Table
  types: Record<string, ColumnType>
  report: DriftReport
}

/** `infera drift compare`: two CSV files, one drift report. */
export async function compareFiles(options: CompareOptions): Promise<Comparison> {
  const given: Record<string, ColumnType> = {}
  for (const name of options.numerical ?? []) given[name] = 'numerical'
  for (const name of options.categorical ?? []) given[name] = 'categorical'
  // One after the other, so that a problem in both files is always reported for the reference.
  const reference = await readCsvTable(options.reference, given)
  const current = await readCsvTable(options.current, given)
  assertSameColumns(reference, current, [basename(options.reference), basename(options.current)])
  const vectors = Object.keys(reference).filter(
    (column) =>
      given[column] === undefined &&
      (isVectorColumn(reference[column] ?? []) || isVectorColumn(current[column] ?? [])),
  )
  const tabular = Object.keys(reference).filter((column) => !vectors.includes(column))
  const types: Record<string, ColumnType> = {}
  const methods: Record<string, Method> = {}
  const thresholds: Record<string, number> = {}
  for (const column of tabular) {
    const type = given[column] ?? inferType(reference[column] ?? [], current[column] ?? [])
    types[column] = type
    const method = options.method && options.method !== 'auto' ? options.method : undefined
    if (method && !methodFits(method, type)) continue
    if (method) methods[column] = method
    if (options.threshold !== undefined) thresholds[column] = options.threshold
  }
  const report =
    tabular.length > 0
      ? detectDrift(reference, current, { columns: tabular, types, methods, thresholds })
      : noFeatures()
  if (vectors.length > 0) {
    report.embeddings = Object.fromEntries(
      vectors.map((column): [string, EmbeddingDrift] => {
        // The tables' row r is the file's line r + 2 (after the header).
        const read = (table: Table, sample: string) =>
          vectorMatrix(table[column] ?? [], { column, sample, where: (r) => `line ${r + 2}` })
        const drift = embeddingDrift(
          column,
          read(reference, basename(options.reference)),
          read(current, basename(options.current)),
          { method: options.embeddingMethod ?? 'model' },
        )
        return [column, drift]
      }),
    )
  }
  return { reference: pick(reference, tabular), current: pick(current, tabular), types, report }
}

const pick = (table: Table, columns: string[]): Table =>
  Object.fromEntries(columns.map((column) => [column, table[column] ?? []]))

/**
 * The comparison as an evaluation the HTML report draws: the current file as one window over a
 * profile of the reference, which gives the distributions, summaries and data quality. `files`
 * tells the report it compares two files, not a model's stream: no model, version or time window.
 */
export function comparisonEvaluation(
  comparison: Comparison,
  options: CompareOptions,
): DriftEvaluation {
  const { reference, current, types, report } = comparison
  if (Object.keys(reference).length === 0) {
    throw new DriftInputError(
      'the HTML report draws tabular columns and these files have only vector columns: use --format json',
    )
  }
  const profile = buildProfile(reference, { types })
  const columns = Object.keys(current)
  const rows = (current[columns[0] as string] ?? []).length
  const records = Array.from({ length: rows }, (_, r) =>
    Object.fromEntries(columns.map((c) => [c, current[c]?.[r] ?? null])),
  )
  const window = new DriftWindows(profile, { kind: 'count', size: rows, sampleSize: rows })
  const [snapshot] = window.add(records, new Array(rows).fill(Date.now()))
  if (!snapshot) throw new Error('a window over the whole current file did not complete')
  const files = {
    reference: { name: basename(options.reference), rows: profile.rows },
    current: { name: basename(options.current), rows },
  }
  return {
    model: files.current.name,
    version: '',
    evaluated_at: new Date().toISOString(),
    window: { ...snapshot.info, id: files.current.name },
    reference_rows: profile.rows,
    drift: report,
    quality: snapshot.quality,
    distributions: distributions(snapshot, profile),
    summaries: summaries(snapshot, profile),
    files,
  }
}
