import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMlp } from '../../../../../training/onnx/index.ts'
import { createTestApp, readJson } from '../../testing/index.ts'

let t: Awaited<ReturnType<typeof createTestApp>>
beforeAll(async () => {
  t = await createTestApp({
    iris: { onnx: buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: true }) },
  })
})
afterAll(() => t.repository.close())

const input = { name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }
const infer = async (body: object) => readJson(await t.post('/v2/models/iris/infer', body))

describe('OIP infer requests are checked against the model before any work', () => {
  it('refuses repeated output names and more outputs than the model has', async () => {
    // 400,000 copies of one name used to be served: a 29 MB answer and seconds of blocked loop.
    expect(
      await infer({ inputs: [input], outputs: Array(400_000).fill({ name: 'output' }) }),
    ).toEqual({
      status: 400,
      body: { error: "'outputs' has 400000 entries; the model has 1 outputs" },
    })
    expect(
      await infer({ inputs: [input], outputs: [{ name: 'output' }, { name: 'output' }] }),
    ).toEqual({
      status: 400,
      body: { error: "'outputs' has 2 entries; the model has 1 outputs" },
    })
    expect((await infer({ inputs: [input], outputs: [{ name: 'output' }] })).status).toBe(200)
  })

  it('refuses more inputs than the model has, however they are named', async () => {
    const inputs = Array.from({ length: 3 }, (_, i) => ({ ...input, name: `in${i}` }))
    expect(await infer({ inputs })).toEqual({
      status: 400,
      body: { error: "'inputs' has 3 entries; the model has 1 inputs" },
    })
  })

  it('accepts binary requests under the same limits', async () => {
    const header = new TextEncoder().encode(
      JSON.stringify({
        inputs: [{ ...input, data: undefined, parameters: { binary_data_size: 16 } }],
        outputs: [{ name: 'output' }, { name: 'output' }],
      }),
    )
    const body = new Uint8Array(header.length + 16)
    body.set(header)
    body.set(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer), header.length)
    const res = await t.post('/v2/models/iris/infer', body, {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    })
    expect(await readJson(res)).toEqual({
      status: 400,
      body: { error: "'outputs' has 2 entries; the model has 1 outputs" },
    })
  })
})
