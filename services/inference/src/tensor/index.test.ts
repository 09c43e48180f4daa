import { describe, expect, it } from 'vitest'
import { InferenceError } from '../errors/index.ts'
import {
  binaryData,
  concatBytes,
  encodeInferResponse,
  fromHalf,
  parseInferRequest,
  rowValues,
  shortestFloat32,
  toHalf,
} from './index.ts'

const encoder = new TextEncoder()
const json = (body: unknown) => encoder.encode(JSON.stringify(body))
const request = (input: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseInferRequest(json({ inputs: [{ name: 'x', ...input }], ...extra }))

function rejects(fn: () => unknown, message: RegExp) {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(InferenceError)
    expect((error as InferenceError).status).toBe(400)
    expect((error as Error).message).toMatch(message)
    return
  }
  throw new Error('expected a 400')
}

describe('parseInferRequest (JSON)', () => {
  it('accepts flat and nested data alike and keeps the id', () => {
    const flat = request({ datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] }, { id: '42' })
    const nested = request({
      datatype: 'FP32',
      shape: [2, 2],
      data: [
        [1, 2],
        [3, 4],
      ],
    })
    expect(flat.id).toBe('42')
    expect(flat.inputs[0]?.data).toEqual(new Float32Array([1, 2, 3, 4]))
    expect(nested.inputs[0]?.data).toEqual(flat.inputs[0]?.data)
  })

  it.each([
    ['BOOL', [true, false], new Uint8Array([1, 0])],
    ['INT8', [-128, 127], new Int8Array([-128, 127])],
    ['UINT16', [0, 65535], new Uint16Array([0, 65535])],
    ['INT32', [-5, 7], new Int32Array([-5, 7])],
    ['INT64', [-9007199254740991, 3], new BigInt64Array([-9007199254740991n, 3n])],
    ['UINT64', [0, 9007199254740991], new BigUint64Array([0n, 9007199254740991n])],
    ['FP64', [0.1, -2.5], new Float64Array([0.1, -2.5])],
    ['BYTES', ['a', 'ü'], ['a', 'ü']],
  ])('packs %s into its typed storage', (datatype, data, expected) => {
    expect(request({ datatype, shape: [2], data }).inputs[0]?.data).toEqual(expected)
  })

  it('converts FP16 through half precision', () => {
    const half = request({ datatype: 'FP16', shape: [3], data: [1.5, -0.25, 65504] }).inputs[0]
    expect(Array.from(half?.data as Uint16Array, fromHalf)).toEqual([1.5, -0.25, 65504])
  })

  it.each([
    [{ datatype: 'FP32', shape: [3], data: [1, 2] }, /needs 3 elements but 'data' has 2/],
    [{ datatype: 'FP32', shape: [1], data: [1, 2] }, /needs 1 elements but 'data' has 2/],
    [{ datatype: 'INT8', shape: [1], data: [300] }, /out of range for INT8/],
    [{ datatype: 'INT32', shape: [1], data: [1.5] }, /not a valid INT32/],
    [{ datatype: 'FP32', shape: [1], data: ['1'] }, /not a valid FP32/],
    [{ datatype: 'BOOL', shape: [1], data: [1] }, /not a valid BOOL/],
    [{ datatype: 'FLOAT', shape: [1], data: [1] }, /unknown datatype "FLOAT"/],
    [{ datatype: 'FP32', shape: [-1], data: [1] }, /non-negative integers/],
    [{ datatype: 'FP32', shape: [1] }, /has no 'data'/],
    [{ datatype: 'FP32', shape: [1.5, 2], data: [1] }, /non-negative integers, got 1.5/],
    [{ datatype: 'FP32', shape: ['2'], data: [1, 2] }, /non-negative integers, got "2"/],
    [{ datatype: 'FP32', shape: [2 ** 53], data: [1] }, /non-negative integers/],
    // The products below used to be allocated before the data was counted.
    [
      { datatype: 'FP32', shape: [1000000, 4000000], data: [1, 2, 3, 4] },
      /input 'x': shape \[1000000,4000000\] needs 4000000000000 elements but 'data' has 4/,
    ],
    [
      { datatype: 'BYTES', shape: [100000000, 4], data: ['a'] },
      /input 'x': shape \[100000000,4\] needs 400000000 elements but 'data' has 1/,
    ],
    [
      { datatype: 'FP64', shape: [2 ** 30, 2 ** 30, 2 ** 30], data: [1] },
      /input 'x': shape \[.*\] has more elements than any request can carry/,
    ],
  ])('rejects %j naming the problem', (input, message) => {
    rejects(() => request(input), message)
  })

  it('sizes the tensor by the data it was sent, never by the shape alone', () => {
    // A zero anywhere makes an empty tensor, however large the other dimensions.
    expect(request({ datatype: 'FP32', shape: [0, 2 ** 52], data: [] }).inputs[0]?.data).toEqual(
      new Float32Array(0),
    )
    // Deep nesting counts each level's real length, not the product of the first ones.
    const ragged = [Array(1000).fill(1), [1]]
    rejects(
      () => request({ datatype: 'FP32', shape: [2, 1000], data: ragged }),
      /needs 2000 elements but 'data' has 1001/,
    )
  })

  it('refuses repeated or surplus inputs and outputs, and an over-long id, before decoding', () => {
    const limits = { inputs: 1, outputs: 2 }
    const x = { name: 'x', datatype: 'FP32', shape: [1], data: [1] }
    const parse = (body: object) => parseInferRequest(json(body), undefined, limits)
    rejects(
      () => parse({ inputs: [x], outputs: Array(400_000).fill({ name: 'y' }) }),
      /'outputs' has 400000 entries; the model has 2 outputs/,
    )
    rejects(
      () => parse({ inputs: [x], outputs: [{ name: 'y' }, { name: 'y' }] }),
      /output 'y' is requested more than once/,
    )
    rejects(
      () => parse({ inputs: [x, { ...x, name: 'z' }] }),
      /'inputs' has 2 entries; the model has 1 inputs/,
    )
    // A duplicate is found by name, before its (here huge) data is looked at.
    rejects(
      () => parseInferRequest(json({ inputs: [x, { ...x, shape: [2 ** 40], data: 0 }] })),
      /input 'x' is given more than once/,
    )
    expect(parse({ id: 'i'.repeat(256), inputs: [x] }).id).toHaveLength(256)
    rejects(
      () => parse({ id: 'i'.repeat(257), inputs: [x] }),
      /'id' is 257 characters long; at most 256/,
    )
  })

  it('rejects structural mistakes with a 400', () => {
    rejects(() => parseInferRequest(encoder.encode('{"inputs": [')), /not valid JSON/)
    rejects(
      () => parseInferRequest(encoder.encode('{"inputs":[{"data":[NaN]}]}')),
      /NaN and Infinity/,
    )
    rejects(() => parseInferRequest(json([])), /must be a JSON object/)
    rejects(() => parseInferRequest(json({ inputs: [] })), /non-empty array/)
    rejects(
      () =>
        parseInferRequest(
          json({
            inputs: [
              { name: 'x', datatype: 'FP32', shape: [1], data: [1] },
              { name: 'x', datatype: 'FP32', shape: [1], data: [1] },
            ],
          }),
        ),
      /more than once/,
    )
    rejects(() => parseInferRequest(json({ inputs: [{ datatype: 'FP32' }] })), /'name' must be/)
    rejects(
      () => request({ datatype: 'FP32', shape: [1], data: [1] }, { id: 7 }),
      /'id' must be a string/,
    )
    const deep = JSON.parse(`${'['.repeat(40)}1${']'.repeat(40)}`)
    rejects(() => request({ datatype: 'FP32', shape: [1], data: deep }), /nested deeper/)
  })

  it('reads requested outputs with binary and classification parameters', () => {
    const parsed = request(
      { datatype: 'FP32', shape: [1], data: [1] },
      {
        parameters: { binary_data_output: true },
        outputs: [
          { name: 'a' },
          { name: 'b', parameters: { binary_data: false, classification: 2 } },
        ],
      },
    )
    expect(parsed.outputs).toEqual([
      { name: 'a', binary: true },
      { name: 'b', binary: false, classification: 2 },
    ])
    rejects(
      () =>
        request(
          { datatype: 'FP32', shape: [1], data: [1] },
          { outputs: [{ name: 'a', parameters: { classification: 0 } }] },
        ),
      /positive integer/,
    )
  })
})

describe('parseInferRequest (binary tensor extension)', () => {
  const withBinary = (inputs: unknown[], chunks: Uint8Array[]) => {
    const header = json({ inputs })
    return { body: concatBytes([header, ...chunks]), headerLength: header.length }
  }

  it('reads fixed-width and BYTES tensors after the JSON header', () => {
    const floats = new Float32Array([1.5, 2.5, 3.5])
    const strings = binaryData({ name: 's', datatype: 'BYTES', shape: [2], data: ['hi', 'there'] })
    const { body, headerLength } = withBinary(
      [
        { name: 'f', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 12 } },
        {
          name: 's',
          datatype: 'BYTES',
          shape: [2],
          parameters: { binary_data_size: strings.length },
        },
        { name: 'j', datatype: 'INT32', shape: [1], data: [9] },
      ],
      [new Uint8Array(floats.buffer), strings],
    )
    const parsed = parseInferRequest(body, headerLength)
    expect(parsed.inputs.map((t) => t.data)).toEqual([floats, ['hi', 'there'], new Int32Array([9])])
  })

  it('rejects sizes that do not add up', () => {
    const input = { name: 'f', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 8 } }
    const short = withBinary([input], [new Uint8Array(8)])
    rejects(() => parseInferRequest(short.body, short.headerLength), /need 12 bytes/)
    const extra = withBinary(
      [{ ...input, parameters: { binary_data_size: 12 } }],
      [new Uint8Array(16)],
    )
    rejects(() => parseInferRequest(extra.body, extra.headerLength), /4 bytes that no input/)
    const past = withBinary(
      [{ ...input, parameters: { binary_data_size: 99 } }],
      [new Uint8Array(12)],
    )
    rejects(() => parseInferRequest(past.body, past.headerLength), /past the end/)
    rejects(() => parseInferRequest(new Uint8Array(4), 10), /outside the body/)
    rejects(
      () => parseInferRequest(json({ inputs: [input] })),
      /no Inference-Header-Content-Length/,
    )
  })
})

describe('encodeInferResponse', () => {
  it('writes JSON with exact 64-bit integers, booleans and null for non-finite floats', () => {
    const { body, headerLength } = encodeInferResponse({
      model_name: 'm',
      model_version: '1',
      id: 'r1',
      outputs: [
        {
          name: 'i',
          datatype: 'INT64',
          shape: [2],
          data: new BigInt64Array([2n ** 62n, -1n]),
          binary: false,
        },
        { name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]), binary: false },
        {
          name: 'f',
          datatype: 'FP32',
          shape: [2],
          data: new Float32Array([0.5, Number.NaN]),
          binary: false,
        },
        { name: 's', datatype: 'BYTES', shape: [1], data: ['"q"'], binary: false },
      ],
    })
    expect(headerLength).toBeUndefined()
    expect(body).toContain('"data":[4611686018427387904,-1]')
    expect(JSON.parse(body as string)).toMatchObject({
      model_name: 'm',
      model_version: '1',
      id: 'r1',
      outputs: [
        { name: 'i', datatype: 'INT64', shape: [2] },
        { name: 'b', data: [true, false] },
        { name: 'f', data: [0.5, null] },
        { name: 's', data: ['"q"'] },
      ],
    })
  })

  it('appends binary outputs after the header and sizes them', () => {
    const data = new Float64Array([1, 2])
    const { body, headerLength } = encodeInferResponse({
      model_name: 'm',
      model_version: '1',
      outputs: [{ name: 'o', datatype: 'FP64', shape: [2], data, binary: true }],
    })
    const bytes = body as Uint8Array
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, headerLength)))
    expect(header.outputs[0]).toEqual({
      name: 'o',
      datatype: 'FP64',
      shape: [2],
      parameters: { binary_data_size: 16 },
    })
    expect(new Float64Array(bytes.slice(headerLength).buffer)).toEqual(data)
  })
})

describe('half precision', () => {
  it('round-trips representable values and rounds to nearest even', () => {
    for (const v of [0, -0, 1, -2, 0.5, 65504, 6.103515625e-5, 2 ** -24]) {
      expect(fromHalf(toHalf(v))).toBe(v)
    }
    expect(fromHalf(toHalf(1 + 2 ** -11))).toBe(1)
    expect(fromHalf(toHalf(70000))).toBe(Number.POSITIVE_INFINITY)
    expect(Number.isNaN(fromHalf(toHalf(Number.NaN)))).toBe(true)
  })
})

describe('rowValues', () => {
  it('gives plain values per row, float32 as its shortest round-tripping decimal', () => {
    const data = new Float32Array([15.2, 0.1, 1 / 3, 5700])
    expect(rowValues({ name: 'x', datatype: 'FP32', shape: [2, 2], data }, 0)).toEqual([15.2, 0.1])
    const [third, mass] = rowValues(
      { name: 'x', datatype: 'FP32', shape: [2, 2], data },
      1,
    ) as number[]
    expect(Math.fround(third as number)).toBe(data[2])
    expect(String(third)).toBe('0.33333334')
    expect(mass).toBe(5700)
    const ints = {
      name: 'i',
      datatype: 'INT64' as const,
      shape: [1, 2],
      data: new BigInt64Array([7n, -2n]),
    }
    expect(rowValues(ints, 0)).toEqual([7, -2])
    expect(shortestFloat32(Number.NaN)).toBeNaN()
  })
})
