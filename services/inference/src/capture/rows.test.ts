import { describe, expect, it } from 'vitest'
import { parseModelConfig } from '../config/index.ts'
import type { TensorData } from '../tensor/index.ts'
import { MAX_CAPTURED_VECTOR, toCaptureRows } from './rows.ts'

/** A [2, width] FP32 tensor whose row r holds r + j / 4 (exact in float32). */
const tensor = (
  name: string,
  width: number,
  datatype: TensorData['datatype'] = 'FP32',
): TensorData => ({
  name,
  datatype,
  shape: [2, width],
  data: Float32Array.from({ length: 2 * width }, (_, i) => Math.floor(i / width) + (i % width) / 4),
})
const capture = (inputs: TensorData[], config: object = {}) =>
  toCaptureRows({
    model: 'm',
    version: '1',
    config: parseModelConfig(config),
    requestId: 'r',
    inputs,
    outputs: [{ name: 'score', datatype: 'FP32', shape: [2, 1], data: Float32Array.of(0.5, 0.25) }],
  })
const row = (r: number, width: number) => Array.from({ length: width }, (_, j) => r + j / 4)

describe('toCaptureRows with wide inputs', () => {
  it('captures a narrow input as tabular features', () => {
    const [first] = capture([tensor('x', 3)])
    expect(first?.features).toEqual({ x_0: 0, x_1: 0.25, x_2: 0.5 })
    expect(first?.omitted).toBeUndefined()
  })

  it('captures an input the config calls an embedding, or one past 256 values, whole', () => {
    const rows = capture([tensor('text', 8), tensor('image_embedding', 512), tensor('age', 1)], {
      embeddings: ['text'],
    })
    expect(rows.map((r) => r.features)).toEqual([
      { text: row(0, 8), image_embedding: row(0, 512), age: 0 },
      { text: row(1, 8), image_embedding: row(1, 512), age: 1 },
    ])
    expect(rows[1]?.prediction).toBe(0.25)
  })

  it(`leaves out inputs over ${MAX_CAPTURED_VECTOR} values, naming them with their width`, () => {
    const rows = capture([
      tensor('pixels', MAX_CAPTURED_VECTOR + 1),
      tensor('edge', MAX_CAPTURED_VECTOR),
    ])
    expect(rows[0]?.features).toEqual({ edge: row(0, MAX_CAPTURED_VECTOR) })
    expect(rows.map((r) => r.omitted)).toEqual([
      { pixels: MAX_CAPTURED_VECTOR + 1 },
      { pixels: MAX_CAPTURED_VECTOR + 1 },
    ])
  })

  it('never captures text or booleans as a vector', () => {
    const words: TensorData = {
      name: 'words',
      datatype: 'BYTES',
      shape: [2, 300],
      data: Array(600).fill('w'),
    }
    const [first] = capture([words])
    expect(first?.features).toEqual({})
    expect(first?.omitted).toEqual({ words: 300 })
  })
})
