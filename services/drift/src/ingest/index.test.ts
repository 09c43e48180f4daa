import { describe, expect, it } from 'vitest'
import {
  INGEST_LIMITS,
  IngestError,
  normalizeRecords,
  parseBatch,
  TooManyRecordsError,
  truncateUtf8,
} from './index.ts'

const NOW = Date.parse('2026-06-01T00:00:00Z')

describe('parseBatch', () => {
  it('reads JSON arrays and NDJSON, rejecting only the bad NDJSON lines', () => {
    const array = parseBatch('[{"a":1},{"a":2}]')
    expect(array.records).toEqual([{ a: 1 }, { a: 2 }])
    expect(array.rejected.toJSON()).toEqual({ rejected: [], rejected_count: 0 })
    const ndjson = parseBatch('{"a":1}\n{oops\n\n{"a":3}\n')
    // The bad line keeps its place, so later records keep their index.
    expect(ndjson.records).toEqual([{ a: 1 }, undefined, { a: 3 }])
    expect(ndjson.rejected.toJSON().rejected).toEqual([
      { index: 1, error: expect.stringMatching(/^not valid JSON/) },
    ])
    expect(() => parseBatch('[{"a":')).toThrow(IngestError)
    expect(() => parseBatch('{"a":1}')).not.toThrow()
    expect(() => parseBatch('  ')).toThrow(/body is empty/)
  })

  it('lists the first errors and counts the rest, each message short, whatever the body', () => {
    // 2 MB of bad NDJSON answered 88.9 MB before: the answer is bounded now.
    const line = `{${'x'.repeat(1000)}`
    const { rejected } = parseBatch(Array.from({ length: 2000 }, () => line).join('\n'))
    const answer = rejected.toJSON()
    expect(answer.rejected_count).toBe(2000)
    expect(answer.rejected).toHaveLength(INGEST_LIMITS.listedErrors)
    expect(JSON.stringify(answer).length).toBeLessThan(10_000)
    // With stopAfter (a batch refused anyway), the rest isn't even parsed.
    expect(parseBatch(`${line}\n`.repeat(2000), undefined, { stopAfter: 20 }).rejected.count).toBe(
      20,
    )
  })

  it('refuses more records than a batch may hold', () => {
    const many = INGEST_LIMITS.records + 1
    expect(() => parseBatch(`[${Array(many).fill('{}').join(',')}]`)).toThrow(TooManyRecordsError)
    expect(() => parseBatch('{}\n'.repeat(many))).toThrow(/more than 50000 records/)
  })
})

describe('truncateUtf8', () => {
  it('cuts to a byte budget on a character boundary', () => {
    expect(truncateUtf8('short', 256)).toBe('short')
    expect(truncateUtf8('é'.repeat(200), 256)).toBe('é'.repeat(128))
    expect(truncateUtf8('😀'.repeat(100), 10)).toBe('😀😀')
    expect(new TextEncoder().encode(truncateUtf8('a€'.repeat(100_000), 256)).length).toBe(256)
  })
})

describe('normalizeRecords', () => {
  it('flattens capture records and flat records into monitored columns', () => {
    const { rows, rejected } = normalizeRecords(
      'm',
      [
        {
          ts: '2026-01-01T00:00:00Z',
          request_id: 'r1',
          model: 'm',
          version: '2',
          features: { x: 1 },
          outputs: { p: [0.1] },
          prediction: 'a',
        },
        { x: 2, y: 'b', ts: NOW - 5 },
      ],
      NOW,
    )
    expect(rejected.count).toBe(0)
    expect(rows).toEqual([
      {
        ts: Date.parse('2026-01-01T00:00:00Z'),
        requestId: 'r1',
        version: '2',
        columns: { x: 1, prediction: 'a' },
      },
      { ts: NOW - 5, columns: { x: 2, y: 'b' } },
    ])
  })

  it('rejects each malformed record by index and keeps the others', () => {
    const { rows, rejected } = normalizeRecords(
      'm',
      [
        7,
        { model: 'other', x: 1 },
        { ts: 'yesterday', x: 1 },
        { features: [1] },
        { request_id: 3, x: 1 },
        {},
        { x: 1 },
      ],
      NOW,
    )
    expect(rows).toHaveLength(1)
    expect(rejected.listed.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5])
    expect(rejected.listed.map((r) => r.error)).toEqual([
      'a record must be a JSON object',
      "record is for model 'other', not 'm'",
      "'ts' must be an ISO 8601 time or epoch milliseconds",
      "'features' must be an object",
      "'request_id' must be a string",
      'the record has no features',
    ])
  })

  it('refuses times outside 2000 to a day from now, which no window could hold', () => {
    const times = [1e20, -1e20, 5, '1970-01-01T00:00:00Z', NOW + 2 * 86_400_000, 'x'.repeat(100)]
    const { rows, rejected } = normalizeRecords(
      'm',
      [
        ...times.map((ts) => ({ ts, x: 1 })),
        { ts: NOW + 60_000, x: 1 },
        { ts: '2000-01-01', x: 1 },
      ],
      NOW,
    )
    expect(rows.map((r) => r.ts)).toEqual([NOW + 60_000, Date.UTC(2000, 0, 1)])
    expect(rejected.listed.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5])
    expect(rejected.listed[0]?.error).toBe(
      "'ts' must be from 2000-01-01 to a day from now (epoch milliseconds or ISO 8601)",
    )
  })

  it('cuts long strings to 256 bytes and refuses long ids', () => {
    const big = 'x'.repeat(25 * 1024 * 1024)
    const { rows, rejected } = normalizeRecords(
      'm',
      [
        { features: { colour: big, n: 1 }, prediction: big },
        { request_id: 'r'.repeat(257), x: 1 },
        { version: 'v'.repeat(257), x: 1 },
      ],
      NOW,
    )
    expect(rows[0]?.columns).toEqual({ colour: 'x'.repeat(256), n: 1, prediction: 'x'.repeat(256) })
    expect(rejected.listed.map((r) => r.error)).toEqual([
      "'request_id' is longer than 256 bytes",
      "'version' is longer than 256 bytes",
    ])
  })
})
