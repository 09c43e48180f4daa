import { describe, expect, it } from 'vitest'
import { fromHalf } from '../../services/inference/src/tensor/index.ts'
import { attr, GraphBuilder, OPSET_IMPORTS } from './graph.ts'
import { argMax, column, concat, oneHot, reshape, standardize } from './ops.ts'
import { onnx } from './proto.ts'
import type { TensorInit } from './tensor.ts'
import { ort, runModel } from './testing.ts'

/** A model whose outputs are `value`, named out_<i>, computed by each builder in turn. */
function outputsOf(...builders: Array<(g: GraphBuilder) => { value: string; tensor: TensorInit }>) {
  const g = new GraphBuilder('outputs')
  builders.forEach((build, i) => {
    const { value, tensor } = build(g)
    g.output(`out_${i}`, tensor.datatype, tensor.dims, value)
  })
  return g.serialize()
}

const valuesOf = (tensor: ort.Tensor | undefined) => Array.from(tensor?.data as ArrayLike<unknown>)

describe('GraphBuilder', () => {
  it('writes a ModelProto with the platform opsets, producer and a dynamic batch dimension', () => {
    const g = new GraphBuilder('meta')
    g.output('y', 'FP32', ['batch', 3], g.op('Relu', [g.input('x', 'FP32', ['batch', 3])]))
    const model = onnx.ModelProto.decode(g.serialize())
    expect(Number(model.irVersion)).toBe(8)
    expect(model.producerName).toBe('infera')
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual(
      OPSET_IMPORTS.map((o) => [o.domain, o.version]),
    )
    const dims = model.graph?.input?.[0]?.type?.tensorType?.shape?.dim
    expect(dims?.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 3])
    expect(model.graph?.node?.map((n) => n.output)).toEqual([['y']])
  })

  const initializers: TensorInit[] = [
    { datatype: 'FP32', dims: [2], values: [1.5, -2.25] },
    { datatype: 'FP64', dims: [2], values: [0.1, 1e300] },
    { datatype: 'INT32', dims: [2], values: [-7, 2 ** 31 - 1] },
    { datatype: 'INT64', dims: [2], values: [-(2n ** 62n), 5] },
    { datatype: 'UINT8', dims: [2], values: [0, 255] },
    { datatype: 'BOOL', dims: [3], values: [true, false, true] },
    { datatype: 'BYTES', dims: [3], values: ['penguin', 'ünïcödé', ''] },
    { datatype: 'FP16', dims: [2, 2], values: [0.5, -65504, 1 / 3, 0] },
  ]

  it('stores initializers of each element type as onnxruntime reads them', async () => {
    const outputs = await runModel(
      outputsOf(
        ...initializers.map((tensor) => (g: GraphBuilder) => ({
          value: g.op('Identity', [g.initializer('constant', tensor)]),
          tensor,
        })),
      ),
    )
    initializers.forEach((tensor, i) => {
      const out = outputs[`out_${i}`]
      expect(out?.dims).toEqual(tensor.dims)
      const expected = Array.from(tensor.values as ArrayLike<unknown>)
      if (tensor.datatype === 'FP16') {
        // 1/3 is not a half: it rounds to the nearest one.
        expect(valuesOf(out).map((bits) => fromHalf(bits as number))).toEqual([
          0.5, -65504, 0.333251953125, 0,
        ])
      } else if (tensor.datatype === 'FP32') {
        expect(valuesOf(out)).toEqual(expected)
      } else if (tensor.datatype === 'INT64') {
        expect(valuesOf(out)).toEqual(expected.map((v) => BigInt(v as number | bigint)))
      } else if (tensor.datatype === 'BOOL') {
        expect(valuesOf(out)).toEqual([1, 0, 1])
      } else {
        expect(valuesOf(out)).toEqual(expected)
      }
    })
  })

  it('encodes int, float, string, list and tensor attributes (as Constant values)', async () => {
    const constant =
      (attribute: string, value: ReturnType<typeof attr.int>, tensor: TensorInit) =>
      (g: GraphBuilder) => ({ value: g.op('Constant', [], { [attribute]: value }), tensor })
    const outputs = await runModel(
      outputsOf(
        constant('value_int', attr.int(-3), { datatype: 'INT64', dims: [], values: [-3] }),
        constant('value_float', attr.float(0.25), { datatype: 'FP32', dims: [], values: [0.25] }),
        constant('value_string', attr.string('gentoo'), {
          datatype: 'BYTES',
          dims: [],
          values: ['gentoo'],
        }),
        constant('value_ints', attr.ints([1, 2, 3]), {
          datatype: 'INT64',
          dims: [3],
          values: [1, 2, 3],
        }),
        constant('value_floats', attr.floats([0.5, -1]), {
          datatype: 'FP32',
          dims: [2],
          values: [0.5, -1],
        }),
        constant('value_strings', attr.strings(['a', 'b']), {
          datatype: 'BYTES',
          dims: [2],
          values: ['a', 'b'],
        }),
        constant('value', attr.tensor({ datatype: 'FP64', dims: [1, 2], values: [1e-9, 2] }), {
          datatype: 'FP64',
          dims: [1, 2],
          values: [1e-9, 2],
        }),
      ),
    )
    expect(Object.values(outputs).map((t) => [t.dims, valuesOf(t)])).toEqual([
      [[], [-3n]],
      [[], [0.25]],
      [[], ['gentoo']],
      [[3], [1n, 2n, 3n]],
      [[2], [0.5, -1]],
      [[2], ['a', 'b']],
      [
        [1, 2],
        [1e-9, 2],
      ],
    ])
  })

  it('refuses duplicate names, outputs that no node computes and miscounted tensors', () => {
    const g = new GraphBuilder('errors')
    const x = g.input('x', 'FP32', ['batch', 1])
    expect(() => g.input('x', 'FP32', [1])).toThrow(/already has a value named 'x'/)
    expect(() => g.output('y', 'FP32', ['batch', 1], x)).toThrow(/must be a node's output/)
    const y = g.op('Relu', [x])
    g.output('y', 'FP32', ['batch', 1], y)
    expect(() => g.output('y2', 'FP32', ['batch', 1], y)).toThrow(/already the graph output 'y'/)
    expect(() => g.initializer('w', { datatype: 'FP32', dims: [2, 2], values: [1, 2, 3] })).toThrow(
      /3 values for dims \[2,2\]/,
    )
  })
})

describe('ops', () => {
  it('standardises, one-hot encodes (unseen categories as zeros), concatenates, reshapes and argmaxes', async () => {
    const g = new GraphBuilder('ops')
    const x = g.input('x', 'FP32', ['batch', 3])
    const s = g.input('s', 'BYTES', ['batch', 2])
    const z = standardize(g, x, [1, 2, 3], [2, 4, 0.5])
    const encoded = oneHot(g, column(g, s, 1), ['blue', 'red'])
    const joined = concat(g, [z, encoded], 1)
    g.output('z', 'FP32', ['batch', 3], z)
    g.output('encoded', 'FP32', ['batch', 2], encoded)
    g.output('joined', 'FP32', ['batch', 5], joined)
    g.output('reshaped', 'FP32', ['batch', 5, 1], reshape(g, joined, [-1, 5, 1]))
    g.output('argmax', 'INT64', ['batch'], argMax(g, x))
    const outputs = await runModel(g.serialize(), {
      x: new ort.Tensor('float32', [3, 6, 3.5, 1, 2, -1], [2, 3]),
      s: new ort.Tensor('string', ['x', 'red', 'x', 'green'], [2, 2]),
    })
    expect(valuesOf(outputs.z)).toEqual([1, 1, 1, 0, 0, -8])
    expect(valuesOf(outputs.encoded)).toEqual([0, 1, 0, 0])
    expect(valuesOf(outputs.joined)).toEqual([1, 1, 1, 0, 1, 0, 0, -8, 0, 0])
    expect(outputs.reshaped?.dims).toEqual([2, 5, 1])
    expect(valuesOf(outputs.argmax)).toEqual([1n, 1n])
  })
})
