import { describe, expect, it } from 'vitest'
import { IngestError, normalizeRecords, parseBatch } from './index.ts'

describe('parseBatch', () => {
  it('reads JSON arrays and NDJSON, rejecting only the bad NDJSON lines', () => {
    expect(parseBatch('[{"a":1},{"a":2}]')).toEqual({ records: [{ a: 1 }, { a: 2 }], rejected: [] })
    const ndjson = parseBatch('{"a":1}\n{oops\n\n{"a":3}\n')
    expect(ndjson.records).toEqual([{ a: 1 }, { a: 3 }])
    expect(ndjson.rejected).toEqual([{ index: 1, error: expect.stringMatching(/^not valid JSON/) }])
    expect(() => parseBatch('[{"a":')).toThrow(IngestError)
    expect(() => parseBatch('  ')).toThrow(/body is empty/)
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
        { x: 2, y: 'b', ts: 5 },
      ],
      99,
    )
    expect(rejected).toEqual([])
    expect(rows).toEqual([
      {
        ts: Date.parse('2026-01-01T00:00:00Z'),
        requestId: 'r1',
        version: '2',
        columns: { x: 1, prediction: 'a' },
      },
      { ts: 5, columns: { x: 2, y: 'b' } },
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
      0,
      10,
    )
    expect(rows).toHaveLength(1)
    expect(rejected.map((r) => r.index)).toEqual([10, 11, 12, 13, 14, 15])
    expect(rejected.map((r) => r.error)).toEqual([
      'a record must be a JSON object',
      "record is for model 'other', not 'm'",
      "'ts' must be an ISO 8601 time or epoch milliseconds",
      "'features' must be an object",
      "'request_id' must be a string",
      'the record has no features',
    ])
  })
})
