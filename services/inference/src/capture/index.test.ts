import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildMlp } from '../../../../training/onnx/index.ts'
import { createTestApp, readJson, tempDir } from '../testing/index.ts'
import { type CaptureRow, HttpCaptureSink, JsonlCaptureSink, RequestCapture } from './index.ts'

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

describe('HttpCaptureSink', () => {
  it('posts NDJSON per model to the drift service and fails on a refusal', async () => {
    const received: Array<{ url: string; type: string; lines: unknown[] }> = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => {
        body += chunk
      })
      req.on('end', () => {
        received.push({
          url: req.url ?? '',
          type: req.headers['content-type'] ?? '',
          lines: body
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l)),
        })
        res.writeHead(req.url?.includes('/refused/') ? 503 : 202).end('{}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const sink = new HttpCaptureSink(url)
    await sink.write([row('a'), row('b'), row('a')])
    expect(received.map((r) => [r.url, r.type, r.lines.length]).sort()).toEqual([
      ['/v1/drift/a/records', 'application/x-ndjson', 2],
      ['/v1/drift/b/records', 'application/x-ndjson', 1],
    ])
    await expect(sink.write([row('refused')])).rejects.toThrow(/refused: 503/)
    await expect(new HttpCaptureSink('http://127.0.0.1:1').write([row('a')])).rejects.toThrow(
      /drift service refused/,
    )
    server.close()
  })
})
