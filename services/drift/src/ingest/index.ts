/** The column holding the model's output in monitored rows. */
export const PREDICTION = 'prediction'

/** A monitored row: the model's features and its prediction, flat, with where it came from. */
export interface IngestRow {
  ts: number
  requestId?: string
  version?: string
  columns: Record<string, unknown>
}

export interface Rejection {
  index: number
  error: string
}

/** A body the service can't read at all; the message says why. */
export class IngestError extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Reads a batch: a JSON array, or NDJSON (one record per line). A line of NDJSON that isn't JSON
 * rejects that record only; a JSON array that isn't JSON rejects the body.
 */
export function parseBatch(text: string): { records: unknown[]; rejected: Rejection[] } {
  const trimmed = text.trimStart()
  if (trimmed === '')
    throw new IngestError('the body is empty: send a JSON array or NDJSON records')
  if (trimmed.startsWith('[')) {
    let records: unknown
    try {
      records = JSON.parse(trimmed)
    } catch (error) {
      throw new IngestError(`the body is not valid JSON: ${(error as Error).message}`)
    }
    return { records: records as unknown[], rejected: [] }
  }
  return parseLines(trimmed.split('\n').filter((line) => line.trim() !== ''))
}

/** One record per line; a line that isn't JSON rejects that record only. */
function parseLines(lines: string[]): { records: unknown[]; rejected: Rejection[] } {
  const records: unknown[] = []
  const rejected: Rejection[] = []
  for (const line of lines) {
    try {
      const record: unknown = JSON.parse(line)
      records.push(record)
    } catch (error) {
      rejected.push({
        index: records.length + rejected.length,
        error: `not valid JSON: ${(error as Error).message}`,
      })
    }
  }
  return { records, rejected }
}

function isEmpty(record: Record<string, unknown>): boolean {
  for (const _ in record) return false
  return true
}

const META = new Set([
  'ts',
  'request_id',
  'model',
  'version',
  'features',
  'outputs',
  'prediction',
  'label',
])

/**
 * Checks each record and flattens it into a row: capture records
 * (`{ts, request_id, model, version, features: {...}, prediction}`) or flat feature records.
 * Values are not judged here: wrong types and out-of-range values are data quality, counted later.
 */
export function normalizeRecords(
  model: string,
  records: readonly unknown[],
  now: number,
  firstIndex = 0,
): { rows: IngestRow[]; rejected: Rejection[] } {
  const rows: IngestRow[] = []
  const rejected: Rejection[] = []
  records.forEach((record, i) => {
    const row = normalizeRecord(model, record, now)
    if (typeof row === 'string') rejected.push({ index: firstIndex + i, error: row })
    else rows.push(row)
  })
  return { rows, rejected }
}

/** The row a record stands for, or why it can't be one. */
function normalizeRecord(model: string, record: unknown, now: number): IngestRow | string {
  if (!isObject(record)) return 'a record must be a JSON object'
  if (record.model !== undefined && record.model !== model) {
    return `record is for model '${String(record.model)}', not '${model}'`
  }
  let ts = now
  if (record.ts !== undefined) {
    const parsed = typeof record.ts === 'number' ? record.ts : Date.parse(String(record.ts))
    if (!Number.isFinite(parsed)) return `'ts' must be an ISO 8601 time or epoch milliseconds`
    ts = parsed
  }
  const { request_id: requestId, version } = record
  if (requestId !== undefined && typeof requestId !== 'string')
    return `'request_id' must be a string`
  if (version !== undefined && typeof version !== 'string' && typeof version !== 'number') {
    return `'version' must be a string`
  }
  let columns: Record<string, unknown>
  if (record.features !== undefined) {
    if (!isObject(record.features)) return `'features' must be an object`
    // The parsed object is the caller's to give away: copied only to add the prediction.
    columns =
      record.prediction === undefined
        ? record.features
        : { ...record.features, [PREDICTION]: record.prediction }
  } else {
    columns = Object.fromEntries(Object.entries(record).filter(([key]) => !META.has(key)))
    if (record.prediction !== undefined) columns[PREDICTION] = record.prediction
  }
  if (isEmpty(columns)) return 'the record has no features'
  // Built without spreads: this runs for every row, at hundreds of thousands a second.
  const row: IngestRow = { ts, columns }
  if (requestId !== undefined) row.requestId = requestId
  if (version !== undefined) row.version = String(version)
  return row
}
