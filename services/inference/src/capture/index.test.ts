import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { buildIdentityModel, buildMlp } from '../../../../training/onnx/index.ts'
import { startInferenceServer } from '../adapter/node/index.ts'
import { createTestApp, readJson, tempDir, until, writeModel } from '../testing/index.ts'
import {
  boundedValue,
  type CaptureRow,
  HttpCaptureSink,
  JsonlCaptureSink,
  MAX_CAPTURED_VALUE_BYTES,
  RequestCapture,
  TRUNCATED_MARK,
} from './index.ts'

const row = (model: string): CaptureRow => ({
  ts: '2026-01-02T03:04:05.000Z',
  request_id: 'r',
  model,
  version: '1',
  features: { a: 1 },
  outputs: {},
})

describe('RequestCapture', () => {
  it('samples, bounds its buffer and counts what it drops', async () => {
    const written: CaptureRow[] = []
    const dropped: Array<[string, number, string]> = []
    let draw = 0
    const capture = new RequestCapture({
      sink: { write: async (rows) => void written.push(...rows) },
      sampleRate: 0.5,
      capacity: 10,
      random: () => [0.1, 0.9][draw++ % 2] as number,
      onDropped: (model, n, reason) => dropped.push([model, n, reason]),
    })
    expect(capture.offer('m', 4, () => [row('m')])).toBe(true)
    expect(capture.offer('m', 4, () => [row('m')])).toBe(false) // not sampled
    expect(capture.offer('m', 4, () => [row('m')])).toBe(true)
    expect(capture.offer('m', 4, () => [row('m')])).toBe(false) // not sampled
    expect(capture.offer('m', 4, () => [row('m')])).toBe(false) // 12 > 10: buffer full
    await capture.close()
    expect(written).toHaveLength(2)
    expect(dropped).toEqual([['m', 4, 'buffer_full']])
  })

  it('counts rows lost to a failing sink instead of throwing', async () => {
    const dropped: number[] = []
    const capture = new RequestCapture({
      sink: { write: () => Promise.reject(new Error('disk full')) },
      sampleRate: 1,
      onDropped: (_, n) => dropped.push(n),
    })
    capture.offer('m', 3, () => [row('m')])
    await capture.close()
    expect(dropped).toEqual([3])
  })

  it('writes JSON lines per model, version and day', async () => {
    const dir = tempDir()
    await new JsonlCaptureSink(dir).write([row('a'), row('a'), row('b')])
    expect(
      readFileSync(join(dir, 'a', '1', '2026-01-02.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(2)
    expect(JSON.parse(readFileSync(join(dir, 'b', '1', '2026-01-02.jsonl'), 'utf8'))).toEqual(
      row('b'),
    )
  })

  it('captures served predictions as named feature rows with the predicted label', async () => {
    const dir = tempDir()
    const capture = new RequestCapture({ sink: new JsonlCaptureSink(dir), sampleRate: 1 })
    const t = await createTestApp(
      {
        iris: {
          onnx: buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 3, softmax: true }),
          config: {
            features: { input: ['a', 'b', 'c', 'd'] },
            labels: { output: ['x', 'y', 'z'] },
          },
        },
      },
      { capture },
    )
    const res = await t.post(
      '/v1/models/iris:predict',
      {
        instances: [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
      },
      { 'x-request-id': 'req-9' },
    )
    const { predictions } = (await readJson(res)).body
    await capture.close()
    await t.repository.close()
    const [file] = readdirSync(join(dir, 'iris', '1'))
    const rows = readFileSync(join(dir, 'iris', '1', file as string), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(rows.map((r) => r.features)).toEqual([
      { a: 1, b: 2, c: 3, d: 4 },
      { a: 5, b: 6, c: 7, d: 8 },
    ])
    expect(rows.map((r) => r.prediction)).toEqual(predictions)
    expect(rows[0]).toMatchObject({ request_id: 'req-9', model: 'iris', version: '1' })
    expect(Object.keys(rows[0].outputs)).toEqual(['output_0', 'output_1', 'output_2'])
  })
})

/** A drift service stand-in: records what it receives, answers what `answer` says. */
async function driftStub() {
  const received: Array<{ url: string; auth: string; type: string; ids: string[] }> = []
  const stub = {
    received,
    answer: (_url: string): [number, object] => [202, {}],
    url: '',
    close: () => new Promise((resolve) => server.close(resolve)),
  }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const [status, answer] = stub.answer(req.url ?? '')
      if (status < 300)
        received.push({
          url: req.url ?? '',
          auth: req.headers.authorization ?? '',
          type: req.headers['content-type'] ?? '',
          ids: body
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l).request_id),
        })
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return stub
}

const rows = (model: string, n: number, from = 0): CaptureRow[] =>
  Array.from({ length: n }, (_, i) => ({ ...row(model), request_id: `r${from + i}` }))
const fast = { minRetryMs: 5, maxRetryMs: 20 }

describe('capture bounds', () => {
  it('cuts long strings to a bounded size on a character boundary, marked', () => {
    expect(boundedValue('short')).toBe('short')
    expect(boundedValue(42)).toBe(42)
    const cut = boundedValue('€'.repeat(MAX_CAPTURED_VALUE_BYTES)) as string
    expect(cut.endsWith(TRUNCATED_MARK)).toBe(true)
    const kept = cut.slice(0, -TRUNCATED_MARK.length)
    expect(kept).toBe('€'.repeat(Math.floor(MAX_CAPTURED_VALUE_BYTES / 3)))
  })

  it('writes a bounded row for a huge BYTES value and an over-long request id', async () => {
    const dir = tempDir()
    const capture = new RequestCapture({ sink: new JsonlCaptureSink(dir), sampleRate: 1 })
    const t = await createTestApp(
      { echo: { onnx: buildIdentityModel({ datatype: 'BYTES', shape: ['batch', 1] }) } },
      { capture },
    )
    const huge = 'x'.repeat(4 * 2 ** 20)
    const body = { inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 1], data: [huge] }] }
    expect(
      (await t.post('/v2/models/echo/infer', body, { 'x-request-id': 'h'.repeat(10_000) })).status,
    ).toBe(200)
    // The body's own id is echoed, so it is refused past the limit rather than cut.
    const longId = await readJson(
      await t.post('/v2/models/echo/infer', { ...body, id: 'i'.repeat(257) }),
    )
    expect(longId).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/'id' is 257 characters/) },
    })
    await capture.close()
    await t.repository.close()
    const [file] = readdirSync(join(dir, 'echo', '1'))
    const lines = readFileSync(join(dir, 'echo', '1', file as string), 'utf8')
      .trim()
      .split('\n')
    expect(lines).toHaveLength(1)
    expect((lines[0] as string).length).toBeLessThan(4096)
    const captured = JSON.parse(lines[0] as string)
    expect(captured.features.input).toBe(`${'x'.repeat(MAX_CAPTURED_VALUE_BYTES)}${TRUNCATED_MARK}`)
    expect(captured.request_id).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('HttpCaptureSink', () => {
  it('posts NDJSON per model and chunk to the drift service with its bearer token', async () => {
    const drift = await driftStub()
    const sink = new HttpCaptureSink(drift.url, { token: 'tok-1', maxRowsPerRequest: 2 })
    await sink.write([...rows('a', 3), ...rows('b', 1)])
    expect(drift.received.map((r) => [r.url, r.auth, r.type, r.ids]).sort()).toEqual([
      ['/v1/drift/a/records?partial=true', 'Bearer tok-1', 'application/x-ndjson', ['r0', 'r1']],
      ['/v1/drift/a/records?partial=true', 'Bearer tok-1', 'application/x-ndjson', ['r2']],
      ['/v1/drift/b/records?partial=true', 'Bearer tok-1', 'application/x-ndjson', ['r0']],
    ])
    await drift.close()
  })

  it('keeps rows while the drift service fails and delivers them, in order, once it is back', async () => {
    const drift = await driftStub()
    const dropped: unknown[] = []
    const sink = new HttpCaptureSink(drift.url, fast)
    sink.attach((...args) => dropped.push(args))
    drift.answer = () => [503, { error: 'restarting' }]
    await sink.write(rows('a', 2))
    await sink.write(rows('a', 2, 2))
    expect(sink.pendingRows).toBe(4)
    drift.answer = () => [202, {}]
    await until(() => sink.pendingRows === 0)
    expect(drift.received.flatMap((r) => r.ids)).toEqual(['r0', 'r1', 'r2', 'r3'])
    expect(dropped).toEqual([])
    await drift.close()
  })

  it('bounds what waits, counting the oldest rows it drops, refusals and what is unsent at close', async () => {
    const drift = await driftStub()
    const dropped: unknown[] = []
    const capture = new RequestCapture({
      sink: new HttpCaptureSink(drift.url, { ...fast, maxPendingRows: 3 }),
      sampleRate: 1,
      onDropped: (...args) => dropped.push(args),
    })
    drift.answer = (url) =>
      url.includes('/bad/')
        ? [401, { error: 'the bearer token is not valid' }]
        : url.includes('/odd/')
          ? [422, { accepted_count: 1, rejected_count: 1 }]
          : [503, {}]
    capture.offer('bad', 1, () => rows('bad', 1))
    await capture.flush()
    capture.offer('odd', 2, () => rows('odd', 2))
    await capture.flush()
    capture.offer('a', 2, () => rows('a', 2))
    await capture.flush()
    capture.offer('a', 2, () => rows('a', 2, 2)) // 4 waiting > 3: the oldest two go
    await capture.flush()
    await capture.close() // still down: the last two are lost at shutdown
    expect(dropped).toEqual([
      ['bad', 1, 'refused'],
      ['odd', 1, 'refused'],
      ['a', 2, 'retry_buffer_full'],
      ['a', 2, 'shutdown'],
    ])
    await drift.close()
  })
})

describe('the inference server posting captures', () => {
  it('sends its drift token and retries a failing drift service before it exits', async () => {
    const drift = await driftStub()
    let failures = 1
    drift.answer = () => (failures-- > 0 ? [503, {}] : [202, {}])
    const dir = tempDir()
    writeModel(dir, 'iris', {
      onnx: buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 3, softmax: true }),
    })
    const server = await startInferenceServer({
      modelsDir: dir,
      port: 0,
      captureUrl: drift.url,
      captureToken: 'drift-token',
      captureSampleRate: 1,
      logger: pino({ level: 'silent' }),
    })
    const res = await fetch(`${server.url}/v2/models/iris/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'req-1',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
      }),
    })
    expect(res.status).toBe(200)
    await server.close()
    expect(drift.received.map((r) => [r.auth, r.ids])).toEqual([['Bearer drift-token', ['req-1']]])
    await drift.close()
  })
})
