import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIdentityModel, buildMlp } from '../../../../training/onnx/index.ts'
import { createRandom } from '../../../../training/train/index.ts'
import { createTestApp } from '../testing/index.ts'

// Seeded so that a failure reproduces.
const random = createRandom(20261123).next
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
const JUNK: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 64,
  '',
  'x',
  'FP32',
  '\u0000',
  [],
  [[]],
  {},
  { a: 1 },
  [1, 2, 3],
  ['a'],
  [null],
  Array(100).fill(1),
  JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`),
]

const VALID: Record<string, object> = {
  '/v2/models/classifier/infer': {
    id: 'fuzz',
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [2, 4],
        data: [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
      },
    ],
    outputs: [{ name: 'output', parameters: { classification: 2 } }],
  },
  '/v2/models/strings/infer': {
    inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 2], data: ['a', 'b'] }],
  },
  '/v2/models/ints/versions/1/infer': {
    inputs: [{ name: 'input', datatype: 'INT64', shape: [1, 2], data: [1, 2] }],
  },
  '/v1/models/classifier:predict': { instances: [{ a: 1, b: 2, c: 3, d: 4 }, [1, 2, 3, 4]] },
}

/** Replaces, deletes or adds one value somewhere in a JSON value. */
function mutate(value: unknown, depth = 0): unknown {
  if (depth > 0 && random() < 0.3) return pick(JUNK)
  if (Array.isArray(value)) {
    const copy = [...value]
    const i = Math.floor(random() * (copy.length + 1))
    if (random() < 0.2) copy.splice(i, 1)
    else if (i < copy.length) copy[i] = mutate(copy[i], depth + 1)
    else copy.push(pick(JUNK))
    return copy
  }
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...value }
    const keys = Object.keys(copy)
    const key = pick([...keys, 'datatype', 'shape', 'data', 'parameters', 'name', 'extra'])
    if (random() < 0.2) delete copy[key]
    else copy[key] = mutate(copy[key], depth + 1)
    return copy
  }
  return pick(JUNK)
}

function malformed(): { path: string; body: string | Uint8Array; headers: Record<string, string> } {
  const path = pick(Object.keys(VALID))
  const text = JSON.stringify(VALID[path])
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  switch (Math.floor(random() * 6)) {
    case 0:
      return { path, body: text.slice(0, Math.floor(random() * text.length)), headers }
    case 1: {
      const i = Math.floor(random() * text.length)
      return {
        path,
        body:
          text.slice(0, i) + pick(['"', '{', ']', ',', 'NaN', '\\', '9e9999']) + text.slice(i + 1),
        headers,
      }
    }
    case 2:
      return {
        path,
        body: crypto.getRandomValues(new Uint8Array(Math.floor(random() * 64))),
        headers,
      }
    case 3: {
      const header = pick(['-1', 'abc', '5', String(text.length + 10), '1e3', ''])
      return {
        path,
        body: text,
        headers: { ...headers, 'inference-header-content-length': header },
      }
    }
    case 4:
      return {
        path: pick([
          '/v2/models/classifier/versions/abc/infer',
          '/v2/models/classifier/versions/0/infer',
          '/v2/models/classifier/versions/99999999999999999999/infer',
          '/v2/models/%00/infer',
          '/v1/models/:predict',
          '/v2/models/classifier/infer/extra',
        ]),
        body: text,
        headers,
      }
    default: {
      let body: unknown = VALID[path]
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) body = mutate(body)
      return { path, body: JSON.stringify(body), headers }
    }
  }
}

let t: Awaited<ReturnType<typeof createTestApp>>
beforeAll(async () => {
  t = await createTestApp({
    classifier: {
      onnx: buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: true }),
      config: {
        max_batch_size: 16,
        features: { input: ['a', 'b', 'c', 'd'] },
        labels: { output: ['x', 'y', 'z'] },
      },
    },
    strings: { onnx: buildIdentityModel({ datatype: 'BYTES', shape: ['batch', 2] }) },
    ints: { onnx: buildIdentityModel({ datatype: 'INT64', shape: ['batch', 2] }) },
  })
})
afterAll(() => t.repository.close())

describe('fuzzing with malformed requests', () => {
  it('answers every one with a JSON 4xx naming the problem, never a 5xx, and keeps serving', async () => {
    const statuses = new Map<number, number>()
    for (let round = 0; round < 150; round++) {
      // Sixteen at a time, so bad requests arrive beside good ones in the same batch window.
      const requests = Array.from({ length: 16 }, (_, i) => {
        if (i % 4 === 0) {
          const path = pick(Object.keys(VALID))
          return {
            path,
            body: JSON.stringify(VALID[path]),
            headers: { 'content-type': 'application/json' },
            valid: true,
          }
        }
        return { ...malformed(), valid: false }
      })
      const responses = await Promise.all(
        requests.map((r) =>
          t.app.request(r.path, { method: 'POST', body: r.body, headers: r.headers }),
        ),
      )
      for (const [i, res] of responses.entries()) {
        const request = requests[i] as (typeof requests)[number]
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        const text = await res.text()
        const context = `${request.path} ${String(request.body).slice(0, 200)} -> ${res.status} ${text.slice(0, 200)}`
        expect(res.status, context).toBeLessThan(500)
        if (request.valid) expect(res.status, context).toBe(200)
        if (res.status >= 400) expect(JSON.parse(text).error, context).toMatch(/\w/)
      }
    }
    // The corpus must really exercise rejections and successes alike.
    expect(statuses.get(400)).toBeGreaterThan(500)
    expect(statuses.get(200)).toBeGreaterThan(600)
  })
})

describe('fuzzing with shapes that claim more than the body carries', () => {
  const hugeDims = () => {
    const dims = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
      pick([1, 4, 1000, 65_536, 1_000_000, 4_000_000, 100_000_000, 2 ** 31, 2 ** 52]),
    )
    return random() < 0.1 ? [...dims, pick([-1, 1.5, 2 ** 53, '4', null])] : dims
  }
  /** A V1 instance nested `depth` levels deep, 1,000 wide at every level but only its first branch. */
  const chain = (depth: number): unknown =>
    depth === 0 ? 1 : [chain(depth - 1), ...Array(999).fill(0)]

  function huge(): { path: string; body: string | Uint8Array; headers: Record<string, string> } {
    const headers = { 'content-type': 'application/json' }
    const shape = hugeDims()
    switch (Math.floor(random() * 4)) {
      case 0: {
        const [path, datatype, value] = pick([
          ['/v2/models/classifier/infer', 'FP32', 1.5],
          ['/v2/models/strings/infer', 'BYTES', 'a'],
          ['/v2/models/ints/versions/1/infer', 'INT64', 7],
        ] as const)
        const data = Array(Math.floor(random() * 8)).fill(value)
        return {
          path,
          body: JSON.stringify({ inputs: [{ name: 'input', datatype, shape, data }] }),
          headers,
        }
      }
      case 1: {
        // The binary tensor extension: a few bytes of data behind the huge shape.
        const [path, datatype] = pick([
          ['/v2/models/classifier/infer', 'FP32'],
          ['/v2/models/strings/infer', 'BYTES'],
        ] as const)
        const data = new Uint8Array(4 * Math.floor(random() * 4))
        const header = new TextEncoder().encode(
          JSON.stringify({
            inputs: [
              { name: 'input', datatype, shape, parameters: { binary_data_size: data.length } },
            ],
          }),
        )
        const body = new Uint8Array(header.length + data.length)
        body.set(header)
        body.set(data, header.length)
        return {
          path,
          body,
          headers: {
            'content-type': 'application/octet-stream',
            'inference-header-content-length': String(header.length),
          },
        }
      }
      case 2:
        return {
          path: '/v1/models/classifier:predict',
          body: JSON.stringify({ instances: [chain(2 + Math.floor(random() * 3))] }),
          headers,
        }
      default:
        return {
          path: '/v2/models/classifier/infer',
          body: JSON.stringify({
            inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
            outputs: Array(1000 + Math.floor(random() * 10_000)).fill({ name: 'output' }),
          }),
          headers,
        }
    }
  }

  it('answers every one with a 4xx naming the problem, and memory stays flat', async () => {
    const before = process.memoryUsage()
    // Typed arrays are zero pages until written, so RSS alone would miss a tensor sized by its
    // shape; what was allocated for ArrayBuffers does not.
    let peakArrayBuffers = before.arrayBuffers
    for (let round = 0; round < 50; round++) {
      const requests = Array.from({ length: 8 }, huge)
      const responses = await Promise.all(
        requests.map((r) =>
          t.app.request(r.path, { method: 'POST', body: r.body, headers: r.headers }),
        ),
      )
      for (const [i, res] of responses.entries()) {
        const request = requests[i] as (typeof requests)[number]
        const text = await res.text()
        const context = `${request.path} ${String(request.body).slice(0, 300)} -> ${res.status} ${text.slice(0, 200)}`
        expect(res.status, context).toBeGreaterThanOrEqual(400)
        expect(res.status, context).toBeLessThan(500)
        expect(JSON.parse(text).error, context).toMatch(/input|output|shape|instances|binary/)
      }
      peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers)
    }
    // A memory bound, not a timing one: a tensor sized by the shape would cost gigabytes.
    const mb = (bytes: number) => bytes / 2 ** 20
    expect(mb(process.memoryUsage().rss - before.rss)).toBeLessThan(100)
    expect(mb(peakArrayBuffers - before.arrayBuffers)).toBeLessThan(100)
  })
})
