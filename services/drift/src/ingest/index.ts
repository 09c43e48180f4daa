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
  const records: unknown[] = []
  const rejected: Rejection[] = []
  for (const line of trimmed.split('\n')) {
    if (line.trim() === '') continue
    try {
      records.push(JSON.parse(line))
    } catch (error) {
      rejected.push({
        index: records.length + rejected.length,
        error: `not valid JSON: ${(error as Error).message}`,
      })
    }
  }
  return { records, rejected }
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
    columns = { ...record.features }
  } else {
    columns = Object.fromEntries(Object.entries(record).filter(([key]) => !META.has(key)))
  }
  if (record.prediction !== undefined) columns[PREDICTION] = record.prediction
  if (Object.keys(columns).length === 0) return 'the record has no features'
  return {
    ts,
    columns,
    ...(requestId === undefined ? {} : { requestId }),
    ...(version === undefined ? {} : { version: String(version) }),
  }
}
