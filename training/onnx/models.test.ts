import { describe, expect, it } from 'vitest'
import { DATATYPES as ORT_DATATYPES } from '../../services/inference/src/tensor/index.ts'
import { initMlp, predict, softmaxRows } from '../train/index.ts'
import { buildIdentityModel, buildMlp } from './models.ts'
import { onnx } from './proto.ts'
import { DATATYPE_NAMES, type Datatype } from './tensor.ts'
import { ort } from './testing.ts'

/** Two rows of two values per datatype, in onnxruntime's storage, including each type's extremes. */
const SAMPLES: Record<Datatype, ort.Tensor.DataType> = {
  BOOL: Uint8Array.from([1, 0, 0, 1]),
  UINT8: Uint8Array.from([0, 1, 128, 255]),
  UINT16: Uint16Array.from([0, 1, 40_000, 65_535]),
  UINT32: Uint32Array.from([0, 1, 3_000_000_000, 4_294_967_295]),
  UINT64: BigUint64Array.from([0n, 1n, 2n ** 63n, 2n ** 64n - 1n]),
  INT8: Int8Array.from([-128, -1, 0, 127]),
  INT16: Int16Array.from([-32_768, -1, 0, 32_767]),
  INT32: Int32Array.from([-2_147_483_648, -1, 0, 2_147_483_647]),
  INT64: BigInt64Array.from([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]),
  // Half-precision bit patterns: 1, -2, the largest half and NaN.
  FP16: Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x7e00]),
  FP32: Float32Array.from([1.5, -0, 3.4e38, Number.NaN]),
  FP64: Float64Array.from([1e-300, -1, 1.7e308, Number.NEGATIVE_INFINITY]),
  BYTES: ['', 'a', 'ünïcödé', 'x'.repeat(1000)],
}

async function session(model: Uint8Array) {
  return ort.InferenceSession.create(model)
}

describe('buildIdentityModel', () => {
  it.each(DATATYPE_NAMES)(
    '%s loads in onnxruntime and returns its input unchanged',
    async (datatype) => {
      const s = await session(buildIdentityModel({ datatype, shape: ['batch', 2] }))
      try {
        const type = ORT_DATATYPES[datatype].ort
        expect(s.inputMetadata).toEqual([
          { name: 'input', isTensor: true, type, shape: ['batch', 2] },
        ])
        expect(s.outputMetadata).toEqual([
          { name: 'output', isTensor: true, type, shape: ['batch', 2] },
        ])
        const input = new ort.Tensor(type, SAMPLES[datatype] as never, [2, 2])
        const { output } = await s.run({ input })
        expect(output?.type).toBe(type)
        expect(output?.dims).toEqual([2, 2])
        expect(Array.from(output?.data as ArrayLike<unknown>)).toEqual(
          Array.from(input.data as ArrayLike<unknown>),
        )
      } finally {
        await s.release()
      }
    },
  )

  it('takes fixed shapes too', async () => {
    const s = await session(buildIdentityModel({ datatype: 'FP32', shape: [3] }))
    try {
      expect(s.inputMetadata[0]).toMatchObject({ shape: [3] })
      const { output } = await s.run({ input: new ort.Tensor('float32', [1, 2, 3], [3]) })
      expect(Array.from(output?.data as Float32Array)).toEqual([1, 2, 3])
    } finally {
      await s.release()
    }
  })
})

const parameters = (model: Uint8Array) =>
  (onnx.ModelProto.decode(model).graph?.initializer ?? []).reduce(
    (sum, t) => sum + (t.dims ?? []).reduce((n: number, d) => n * Number(d), 1),
    0,
  )

describe('buildMlp', () => {
  const tiny = { inputSize: 4, hidden: [8], outputSize: 3, seed: 7, softmax: true }

  it('computes the seeded He-initialised MLP, softmaxed, as the trainer would', async () => {
    const model = buildMlp(tiny)
    expect(parameters(model)).toBe(4 * 8 + 8 + 8 * 3 + 3)
    const rows = [0.5, -1, 2, 0.1, 3, 0, -2, 1]
    const s = await session(model)
    try {
      expect(s.inputMetadata[0]).toMatchObject({
        name: 'input',
        type: 'float32',
        shape: ['batch', 4],
      })
      expect(s.outputMetadata[0]).toMatchObject({
        name: 'output',
        type: 'float32',
        shape: ['batch', 3],
      })
      const { output } = await s.run({ input: new ort.Tensor('float32', rows, [2, 4]) })
      expect(output?.dims).toEqual([2, 3])
      const expected = softmaxRows(
        predict(initMlp([4, 8, 3], 7), { rows: 2, cols: 4, data: Float64Array.from(rows) }),
      )
      Array.from(output?.data as Float32Array).forEach((p, i) => {
        expect(p).toBeCloseTo(expected.data[i] as number, 5)
      })
    } finally {
      await s.release()
    }
  })

  it('is deterministic in its seed, and leaves outputs raw without softmax', async () => {
    expect(buildMlp(tiny)).toEqual(buildMlp(tiny))
    expect(buildMlp({ ...tiny, seed: 8 })).not.toEqual(buildMlp(tiny))
    const raw = onnx.ModelProto.decode(buildMlp({ ...tiny, softmax: false }))
    expect(raw.graph?.node?.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm'])
  })

  it('builds the benchmark heavy MLP (about 2M parameters) that runs batched', async () => {
    const model = buildMlp({
      inputSize: 256,
      hidden: [2048, 768],
      outputSize: 10,
      seed: 2,
      softmax: true,
    })
    expect(parameters(model)).toBe(256 * 2048 + 2048 + 2048 * 768 + 768 + 768 * 10 + 10)
    const s = await session(model)
    try {
      const batch = 5
      const input = Float32Array.from({ length: batch * 256 }, (_, i) => Math.sin(i))
      const { output } = await s.run({ input: new ort.Tensor('float32', input, [batch, 256]) })
      expect(output?.dims).toEqual([batch, 10])
      const probabilities = output?.data as Float32Array
      for (let r = 0; r < batch; r++) {
        const sum = probabilities.subarray(r * 10, (r + 1) * 10).reduce((a, b) => a + b, 0)
        expect(sum).toBeCloseTo(1, 5)
      }
    } finally {
      await s.release()
    }
  })
})
