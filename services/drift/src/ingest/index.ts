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

/**
 * What one batch may hold. Listing every bad record of a large batch made a response many times
 * the body's size (and the work to build it), so only the first `listedErrors` are named.
 */
export const INGEST_LIMITS = {
  /** Records (or lines) per batch: more is a 413. */
  records: 50_000,
  /** Rejections named in an answer; the rest are only counted. */
  listedErrors: 20,
  /** Bytes of a string feature or prediction kept; longer ones are cut to this many. */
  valueBytes: 256,
  /** Bytes of a request id or version: longer ones refuse the record. */
  idBytes: 256,
  /** The earliest time a record may carry: older (or `ts: 5`) is a clock or unit mistake. */
  earliestTs: Date.UTC(2000, 0, 1),
  /** How far ahead of the service's clock a record's time may be. */
  futureSkewMs: 24 * 60 * 60 * 1000,
} as const

/** A body the service can't read at all; the message says why. */
export class IngestError extends Error {}

/** A batch past INGEST_LIMITS.records: the HTTP answer is 413. */
export class TooManyRecordsError extends IngestError {}

/** Counts every rejection but keeps only the first `INGEST_LIMITS.listedErrors`. */
export class Rejections {
  count = 0
  readonly listed: Rejection[] = []

  add(index: number, error: string) {
    this.count++
    if (this.listed.length < INGEST_LIMITS.listedErrors)
      this.listed.push({ index, error: clip(error, 200) })
  }

  /** The answer's fields: the listed ones, oldest index first, and how many there were. */
  toJSON() {
    return {
      rejected: [...this.listed].sort((a, b) => a.index - b.index),
      rejected_count: this.count,
    }
  }
}

/** At most `chars` characters: engine messages quote the input, which may be megabytes. */
const clip = (text: string, chars: number) =>
  text.length > chars ? `${text.slice(0, chars)}…` : text

/** `text` cut to at most `max` UTF-8 bytes, on a character boundary. */
export function truncateUtf8(text: string, max: number): string {
  // One UTF-16 unit is at most 3 bytes: short strings need no counting (the common case).
  if (text.length * 3 <= max) return text
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const pair = code >= 0xd800 && code < 0xdc00
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3
    if (bytes + size > max) return text.slice(0, i)
    bytes += size
    if (pair) i++
  }
  return text
}

const longerThan = (text: string, max: number) => truncateUtf8(text, max).length < text.length

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Reads a batch: a JSON array, or NDJSON (one record per line). A line of NDJSON that isn't JSON
 * rejects that record only (its place is kept: `records[i]` is undefined); a JSON array that isn't
 * JSON rejects the body. More than INGEST_LIMITS.records records is a TooManyRecordsError, and
 * with `stopAfter`, parsing stops once that many lines were rejected: the batch is refused anyway.
 */
export function parseBatch(
  text: string,
  rejected = new Rejections(),
  { stopAfter = Number.POSITIVE_INFINITY } = {},
): { records: unknown[]; rejected: Rejections } {
  const trimmed = text.trimStart()
  if (trimmed === '')
    throw new IngestError('the body is empty: send a JSON array or NDJSON records')
  if (trimmed.startsWith('[')) {
    let records: unknown
    try {
      records = JSON.parse(trimmed)
    } catch (error) {
      throw new IngestError(`the body is not valid JSON: ${clip((error as Error).message, 200)}`)
    }
    if (!Array.isArray(records)) throw new IngestError('the body must be a JSON array or NDJSON')
    checkCount(records.length)
    return { records, rejected }
  }
  const records: unknown[] = []
  let start = 0
  while (start < trimmed.length && rejected.count < stopAfter) {
    const newline = trimmed.indexOf('\n', start)
    const end = newline === -1 ? trimmed.length : newline
    const line = trimmed.slice(start, end)
    start = end + 1
    if (line.trim() === '') continue
    checkCount(records.length + 1)
    try {
      records.push(JSON.parse(line))
    } catch (error) {
      rejected.add(records.length, `not valid JSON: ${(error as Error).message}`)
      records.push(undefined)
    }
  }
  return { records, rejected }
}

function checkCount(records: number) {
  if (records > INGEST_LIMITS.records)
    throw new TooManyRecordsError(
      `the batch has more than ${INGEST_LIMITS.records} records: send it in smaller batches`,
    )
}

/**
 * Cuts string values to INGEST_LIMITS.valueBytes in place: a category that long is unseen either
 * way, and windows, samples and the label join would otherwise keep megabytes per value.
 */
function boundStrings(columns: Record<string, unknown>) {
  for (const key in columns) {
    const value = columns[key]
    if (typeof value === 'string') columns[key] = truncateUtf8(value, INGEST_LIMITS.valueBytes)
  }
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
 * Checks each record (from `from` up to `to`, by default all) and flattens it into a row: capture
 * records (`{ts, request_id, model, version, features: {...}, prediction}`) or flat feature records.
 * Values are not judged here: wrong types and out-of-range values are data quality, counted later.
 */
export function normalizeRecords(
  model: string,
  records: readonly unknown[],
  now: number,
  rejected = new Rejections(),
  {
    stopAfter = Number.POSITIVE_INFINITY,
    from = 0,
    to = records.length,
  }: { stopAfter?: number; from?: number; to?: number } = {},
): { rows: IngestRow[]; rejected: Rejections } {
  const rows: IngestRow[] = []
  const end = Math.min(to, records.length)
  for (let i = from; i < end && rejected.count < stopAfter; i++) {
    // A line parseBatch already rejected (JSON itself never parses to undefined).
    if (records[i] === undefined) continue
    const row = normalizeRecord(model, records[i], now)
    if (typeof row === 'string') rejected.add(i, row)
    else rows.push(row)
  }
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
    const parsed =
      typeof record.ts === 'number'
        ? record.ts
        : typeof record.ts === 'string' && record.ts.length <= 64
          ? Date.parse(record.ts)
          : Number.NaN
    if (!Number.isFinite(parsed)) return `'ts' must be an ISO 8601 time or epoch milliseconds`
    // A time outside these bounds can't be one of this platform's predictions; it would also
    // carry a window's bounds out of the range of dates (every later evaluation failing).
    if (parsed < INGEST_LIMITS.earliestTs || parsed > now + INGEST_LIMITS.futureSkewMs)
      return `'ts' must be from 2000-01-01 to a day from now (epoch milliseconds or ISO 8601)`
    ts = parsed
  }
  const { request_id: requestId, version } = record
  if (requestId !== undefined && typeof requestId !== 'string')
    return `'request_id' must be a string`
  if (requestId !== undefined && longerThan(requestId, INGEST_LIMITS.idBytes))
    return `'request_id' is longer than ${INGEST_LIMITS.idBytes} bytes`
  if (version !== undefined && typeof version !== 'string' && typeof version !== 'number') {
    return `'version' must be a string`
  }
  if (typeof version === 'string' && longerThan(version, INGEST_LIMITS.idBytes))
    return `'version' is longer than ${INGEST_LIMITS.idBytes} bytes`
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
  boundStrings(columns)
  // Built without spreads: this runs for every row, at hundreds of thousands a second.
  const row: IngestRow = { ts, columns }
  if (requestId !== undefined) row.requestId = requestId
  if (version !== undefined) row.version = String(version)
  return row
}
