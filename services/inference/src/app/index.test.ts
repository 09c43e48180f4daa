import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIdentityModel, buildMlp } from '../../../../training/onnx/index.ts'
import { concatBytes, DATATYPES, type Datatype, fromHalf } from '../tensor/index.ts'
import { createTestApp, type Json, readJson } from '../testing/index.ts'

const LABELS = ['setosa', 'versicolor', 'virginica']
const FEATURES = ['a', 'b', 'c', 'd']

let t: Awaited<ReturnType<typeof createTestApp>>

beforeAll(async () => {
  const identities = Object.fromEntries(
    (Object.keys(DATATYPES) as Datatype[]).map((datatype) => [
      `id_${datatype.toLowerCase()}`,
      { onnx: buildIdentityModel({ datatype, shape: ['batch', 2] }) },
    ]),
  )
  t = await createTestApp({
    ...identities,
    classifier: {
      onnx: buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 7, softmax: true }),
      config: { max_batch_size: 8, features: { input: FEATURES }, labels: { output: LABELS } },
    },
    broken: { onnx: new TextEncoder().encode('not an onnx file') },
  })
})
afterAll(() => t.repository.close())

const json = readJson
const infer = (model: string, inputs: unknown[], extra: object = {}) =>
  t.post(`/v2/models/${model}/infer`, { inputs, ...extra }).then(json)
const row = [5.1, 3.5, 1.4, 0.2]

describe('health and metadata', () => {
  it('answers the OIP health and server metadata endpoints', async () => {
    expect(await json(await t.app.request('/v2/health/live'))).toEqual({
      status: 200,
      body: { live: true },
    })
    expect((await t.app.request('/v2/health/ready')).status).toBe(200)
    const server = await json(await t.app.request('/v2'))
    expect(server.body).toMatchObject({
      name: 'infera',
      extensions: expect.arrayContaining(['binary_tensor_data', 'model_repository']),
    })
  })

  it('reads model metadata from the ONNX graph, -1 for dynamic dimensions', async () => {
    const { status, body } = await json(await t.app.request('/v2/models/classifier'))
    expect(status).toBe(200)
    expect(body).toEqual({
      name: 'classifier',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 3] }],
    })
    expect((await t.app.request('/v2/models/classifier/versions/1')).status).toBe(200)
    expect(await json(await t.app.request('/v2/models/classifier/ready'))).toEqual({
      status: 200,
      body: { name: 'classifier', ready: true },
    })
  })

  it('404s unknown models and versions, and reports a broken model as not ready with its reason', async () => {
    expect(await json(await t.app.request('/v2/models/nope'))).toEqual({
      status: 404,
      body: { error: "unknown model 'nope'" },
    })
    expect((await t.app.request('/v2/models/classifier/versions/9')).status).toBe(404)
    expect((await t.app.request('/v2/models/broken/ready')).status).toBe(503)
    const index = await json(await t.post('/v2/repository/index', {}))
    const broken = index.body.find((m: { name: string }) => m.name === 'broken')
    expect(broken).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringMatching(/protobuf|parse|load/i),
    })
    const ready = index.body.filter((m: { state: string }) => m.state === 'READY')
    expect(ready).toHaveLength(Object.keys(DATATYPES).length + 1)
  })
})

describe('routing', () => {
  it("stays on hono's RegExpRouter: the trie router it falls back to costs every request", async () => {
    await t.app.request('/v2/health/live')
    expect((t.app as unknown as { router: { name: string } }).router.name).toBe(
      'SmartRouter + RegExpRouter',
    )
  })
})

describe('Open Inference Protocol infer', () => {
  const samples: Record<Datatype, unknown[]> = {
    BOOL: [true, false, false, true],
    UINT8: [0, 255, 1, 2],
    UINT16: [0, 65535, 3, 4],
    UINT32: [0, 4294967295, 5, 6],
    UINT64: [0, 9007199254740991, 7, 8],
    INT8: [-128, 127, 0, 1],
    INT16: [-32768, 32767, 0, 1],
    INT32: [-2147483648, 2147483647, 0, 1],
    INT64: [-9007199254740991, 9007199254740991, 0, 1],
    FP16: [0.5, -2, 1024, 0.0999755859375],
    FP32: [0.5, -2.25, 1e-7, 3.4e38],
    FP64: [0.1, -2.25, 1e-300, 1.7e308],
    BYTES: ['', 'héllo', '{"a":1}', 'x'],
  }

  it.each(Object.keys(samples) as Datatype[])(
    'round-trips %s through the model',
    async (datatype) => {
      const data = samples[datatype]
      const { status, body } = await infer(
        `id_${datatype.toLowerCase()}`,
        [{ name: 'input', datatype, shape: [2, 2], data }],
        { id: 'r-1' },
      )
      expect(status).toBe(200)
      expect(body.id).toBe('r-1')
      expect(body.outputs[0].name).toBe('output')
      expect(body.outputs[0].datatype).toBe(datatype)
      expect(body.outputs[0].shape).toEqual([2, 2])
      const expected = datatype === 'FP32' ? data.map((v) => Math.fround(v as number)) : data
      expect(body.outputs[0].data).toEqual(expected)
    },
  )

  it('runs a classifier on nested data and returns only the requested outputs', async () => {
    const { status, body } = await infer(
      'classifier',
      [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [row, [6.7, 3.1, 5.6, 2.4]] }],
      { outputs: [{ name: 'output' }] },
    )
    expect(status).toBe(200)
    expect(body.model_version).toBe('1')
    const probabilities: number[] = body.outputs[0].data
    expect(probabilities).toHaveLength(6)
    expect(probabilities.slice(0, 3).reduce((a, b) => a + b)).toBeCloseTo(1, 5)
  })

  it('applies the classification extension with configured labels', async () => {
    const { body } = await infer(
      'classifier',
      [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row }],
      { outputs: [{ name: 'output', parameters: { classification: 2 } }] },
    )
    const [top, second] = body.outputs[0].data as string[]
    expect(body.outputs[0]).toMatchObject({ datatype: 'BYTES', shape: [1, 2] })
    const parse = (s: string) => s.split(':')
    expect(LABELS).toContain(parse(top as string)[2])
    expect(Number(parse(top as string)[0])).toBeGreaterThanOrEqual(
      Number(parse(second as string)[0]),
    )
  })

  it('speaks the binary tensor extension both ways', async () => {
    const header = new TextEncoder().encode(
      JSON.stringify({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } },
        ],
        outputs: [{ name: 'output', parameters: { binary_data: true } }],
      }),
    )
    const res = await t.post(
      '/v2/models/classifier/infer',
      concatBytes([header, new Uint8Array(new Float32Array(row).buffer)]),
      {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
      },
    )
    expect(res.status).toBe(200)
    const length = Number(res.headers.get('inference-header-content-length'))
    const bytes = new Uint8Array(await res.arrayBuffer())
    const head = JSON.parse(new TextDecoder().decode(bytes.subarray(0, length)))
    expect(head.outputs[0].parameters).toEqual({ binary_data_size: 12 })
    const binary = new Float32Array(bytes.slice(length).buffer)
    const viaJson = await infer('classifier', [
      { name: 'input', datatype: 'FP32', shape: [1, 4], data: row },
    ])
    expect(Array.from(binary)).toEqual(viaJson.body.outputs[0].data)
  })

  it('rejects every kind of bad input with a 400 that names the problem', async () => {
    const input = (extra: object) => [
      { name: 'input', datatype: 'FP32', shape: [1, 4], data: row, ...extra },
    ]
    const cases: Array<[unknown[] | string, RegExp, object?]> = [
      [input({ datatype: 'FP64' }), /datatype FP64, model expects FP32/],
      [input({ shape: [1, 5], data: [...row, 1] }), /shape \[1,5\], model expects \[-1,4\]/],
      [input({ shape: [2, 4] }), /needs 8 elements but 'data' has 4/],
      [input({ name: 'other' }), /unknown input 'other'/],
      [
        input({ shape: [9, 4], data: Array(36).fill(0) }),
        /batch size 9 exceeds the model's max_batch_size 8/,
      ],
      [input({}), /unknown output 'nope'/, { outputs: [{ name: 'nope' }] }],
      ['{"inputs": [', /not valid JSON/],
    ]
    for (const [inputs, message, extra] of cases) {
      const res: { status: number; body: Json } =
        typeof inputs === 'string'
          ? await json(await t.post('/v2/models/classifier/infer', inputs))
          : await infer('classifier', inputs, extra)
      expect(res.status, String(message)).toBe(400)
      expect(res.body.error).toMatch(message)
    }
    const missing = await infer('id_fp32', [
      { name: 'wrong', datatype: 'FP32', shape: [1, 2], data: [1, 2] },
    ])
    expect(missing.body.error).toMatch(/unknown input 'wrong'/)
  })

  it('refuses NaN and Infinity in binary float inputs', async () => {
    const header = new TextEncoder().encode(
      JSON.stringify({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } },
        ],
      }),
    )
    const res = await t.post(
      '/v2/models/classifier/infer',
      concatBytes([header, new Uint8Array(new Float32Array([1, Number.NaN, 2, 3]).buffer)]),
      {
        'inference-header-content-length': String(header.length),
      },
    )
    expect(await json(res)).toEqual({
      status: 400,
      body: { error: "input 'input' has NaN at element 1; only finite values are allowed" },
    })
  })

  it('answers 413 past the body limit and 404 for unknown routes', async () => {
    const small = await createTestApp(
      { id: { onnx: buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] }) } },
      { maxBodyBytes: 100 },
    )
    const res = await small.post('/v2/models/id/infer', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
      pad: 'x'.repeat(200),
    })
    expect(res.status).toBe(413)
    expect((await readJson(res)).body.error).toMatch(/larger than 100 bytes/)
    await small.repository.close()
    expect((await t.app.request('/v3/nothing')).status).toBe(404)
  })
})

describe('dynamic batching', () => {
  it('runs concurrent requests as shared batches and splits each its own rows back', async () => {
    const rows = Array.from({ length: 24 }, (_, i) => [i, i + 0.5])
    const responses = await Promise.all(
      rows.map((r, i) =>
        infer('id_fp32', [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: r }], {
          id: String(i),
        }),
      ),
    )
    responses.forEach((res, i) => {
      expect(res.status).toBe(200)
      expect(res.body.id).toBe(String(i))
      expect(res.body.outputs[0].data).toEqual(rows[i])
    })
    const batches = (await t.metrics.batchSize.get()).values.filter(
      (v) => v.labels.model === 'id_fp32' && v.metricName === 'infera_inference_batch_size_count',
    )
    const sums = (await t.metrics.batchSize.get()).values.filter(
      (v) => v.labels.model === 'id_fp32' && v.metricName === 'infera_inference_batch_size_sum',
    )
    // Fewer runs than rows means requests shared a session.run.
    expect(sums[0]?.value).toBeGreaterThan(batches[0]?.value ?? 0)
  })
})

describe('KServe V1', () => {
  it('predicts class labels from array and feature-keyed instances', async () => {
    const instance = Object.fromEntries(FEATURES.map((f, i) => [f, row[i]]))
    const arrays = await json(
      await t.post('/v1/models/classifier:predict', { instances: [row, row] }),
    )
    const dicts = await json(
      await t.post('/v1/models/classifier:predict', { instances: [instance] }),
    )
    expect(arrays.status).toBe(200)
    expect(arrays.body.predictions).toHaveLength(2)
    expect(LABELS).toContain(arrays.body.predictions[0])
    expect(dicts.body.predictions[0]).toBe(arrays.body.predictions[0])
  })

  it('returns raw values for models without labels, and names bad instances', async () => {
    const raw = await json(await t.post('/v1/models/id_fp32:predict', { instances: [[1, 2]] }))
    expect(raw.body).toEqual({ predictions: [[1, 2]] })
    const bad: Array<[unknown, RegExp]> = [
      [{ instances: [] }, /at least one instance/],
      [{ rows: [] }, /at least one instance/],
      [{ instances: [{ a: 1, b: 2, c: 3 }] }, /instances\[0\] is missing 'd'/],
      [{ instances: [{ a: 1, b: 2, c: 3, d: 4, e: 5 }] }, /unknown key 'e'/],
      [{ instances: [{ a: 1, b: 2, c: 3, d: 'x' }] }, /not a valid FP32/],
      [{ instances: [[1, 2, 3]] }, /shape \[1,3\], model expects \[-1,4\]/],
    ]
    for (const [body, message] of bad) {
      const res = await json(await t.post('/v1/models/classifier:predict', body))
      expect(res.status).toBe(400)
      expect(res.body.error).toMatch(message)
    }
    expect((await t.post('/v1/models/classifier:explain', {})).status).toBe(404)
    expect(await json(await t.app.request('/v1/models/classifier'))).toEqual({
      status: 200,
      body: { name: 'classifier', ready: true },
    })
  })

  it('serves a named version on /versions/<v> paths, as the OIP does', async () => {
    const pinned = await json(
      await t.post('/v1/models/classifier/versions/1:predict', { instances: [row] }),
    )
    expect(pinned.status).toBe(200)
    expect(LABELS).toContain(pinned.body.predictions[0])
    expect(await json(await t.app.request('/v1/models/classifier/versions/1'))).toEqual({
      status: 200,
      body: { name: 'classifier', version: '1', ready: true },
    })
    const missing = await json(
      await t.post('/v1/models/classifier/versions/9:predict', { instances: [row] }),
    )
    expect(missing.status).toBe(404)
    expect(missing.body.error).toMatch(/unknown version '9'/)
    expect((await t.post('/v1/models/classifier/versions/1:explain', {})).status).toBe(404)
  })
})

describe('metrics', () => {
  it('exports Prometheus metrics with the infera_ prefix', async () => {
    await infer('nope', [])
    const text = await (await t.app.request('/metrics')).text()
    for (const name of [
      'infera_inference_requests_total{model="classifier",version="1",protocol="v2",status="200"}',
      'infera_inference_requests_total{model="classifier",version="1",protocol="v2",status="400"}',
      'infera_inference_requests_total{model="unknown",version="",protocol="v2",status="404"}',
      'infera_inference_request_duration_seconds_bucket',
      'infera_inference_queue_duration_seconds_bucket',
      'infera_inference_compute_duration_seconds_bucket',
      'infera_inference_batch_size_bucket',
      'infera_inference_inflight_requests',
      'infera_inference_queue_depth',
      'infera_model_state{model="broken",version="1",state="UNAVAILABLE"} 1',
      'infera_model_state{model="classifier",version="1",state="READY"} 1',
      'infera_model_load_duration_seconds_bucket',
    ]) {
      expect(text).toContain(name)
    }
  })
})

describe('FP16', () => {
  it('keeps half precision values exact', async () => {
    const { body } = await infer('id_fp16', [
      { name: 'input', datatype: 'FP16', shape: [1, 2], data: [0.333, 65504] },
    ])
    expect(body.outputs[0].data).toEqual([fromHalf(0x3554), 65504])
  })
})
