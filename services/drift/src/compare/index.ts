import { basename } from 'node:path'
import {
  type ColumnType,
  type DriftReport,
  detectDrift,
  inferType,
  type Method,
  methodFits,
  type Table,
} from '../detect/index.ts'
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
  const types: Record<string, ColumnType> = {}
  const methods: Record<string, Method> = {}
  const thresholds: Record<string, number> = {}
  for (const column of Object.keys(reference)) {
    const type = given[column] ?? inferType(reference[column] ?? [], current[column] ?? [])
    types[column] = type
    const method = options.method && options.method !== 'auto' ? options.method : undefined
    if (method && !methodFits(method, type)) continue
    if (method) methods[column] = method
    if (options.threshold !== undefined) thresholds[column] = options.threshold
  }
  const report = detectDrift(reference, current, { types, methods, thresholds })
  return { reference, current, types, report }
}

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
