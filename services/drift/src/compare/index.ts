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
import { assertSameColumns, readCsvTable } from '../table/index.ts'

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
  const [reference, current] = await Promise.all([
    readCsvTable(options.reference, given),
    readCsvTable(options.current, given),
  ])
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
