import type { DenseLayer, Mlp } from '../train/mlp.ts'
import { attr, type GraphBuilder, ML_DOMAIN } from './graph.ts'

/** x·W + b as one Gemm, with FP32 weights. */
export function dense(g: GraphBuilder, x: string, layer: DenseLayer): string {
  const weights = g.initializer('weights', {
    datatype: 'FP32',
    dims: [layer.inputs, layer.outputs],
    values: layer.weights,
  })
  const bias = g.initializer('bias', {
    datatype: 'FP32',
    dims: [layer.outputs],
    values: layer.bias,
  })
  return g.op('Gemm', [x, weights, bias])
}

export const relu = (g: GraphBuilder, x: string) => g.op('Relu', [x])

export const softmax = (g: GraphBuilder, x: string, axis = -1) =>
  g.op('Softmax', [x], { axis: attr.int(axis) })

/** The MLP's raw outputs: dense layers with ReLU between them. */
export function mlp(g: GraphBuilder, x: string, layers: Mlp): string {
  return layers.reduce((value, layer, l) => {
    const y = dense(g, value, layer)
    return l < layers.length - 1 ? relu(g, y) : y
  }, x)
}

/** (x - mean) / std along the last axis, FP32. */
export function standardize(
  g: GraphBuilder,
  x: string,
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
): string {
  const m = g.initializer('mean', { datatype: 'FP32', dims: [mean.length], values: mean })
  const s = g.initializer('std', { datatype: 'FP32', dims: [std.length], values: std })
  return g.op('Div', [g.op('Sub', [x, m]), s])
}

/**
 * ai.onnx.ml OneHotEncoder over string categories: appends an axis of categories.length floats.
 * zeros=1 makes an unseen category all zeros rather than an error, as in training.
 */
export const oneHot = (g: GraphBuilder, x: string, categories: readonly string[]) =>
  g.op(
    'OneHotEncoder',
    [x],
    { cats_strings: attr.strings(categories), zeros: attr.int(1) },
    ML_DOMAIN,
  )

/** Column `index` of a [batch, n] tensor, as a [batch] tensor. */
export function column(g: GraphBuilder, x: string, index: number): string {
  const i = g.initializer('index', { datatype: 'INT64', dims: [], values: [index] })
  return g.op('Gather', [x, i], { axis: attr.int(1) })
}

export const concat = (g: GraphBuilder, values: readonly string[], axis = -1) =>
  g.op('Concat', values, { axis: attr.int(axis) })

/** Reshape to `shape`, where -1 is inferred and 0 copies the input's dimension. */
export function reshape(g: GraphBuilder, x: string, shape: readonly number[]): string {
  const s = g.initializer('shape', { datatype: 'INT64', dims: [shape.length], values: shape })
  return g.op('Reshape', [x, s])
}

/** The index of the largest value along `axis` (INT64), that axis dropped. */
export const argMax = (g: GraphBuilder, x: string, axis = -1) =>
  g.op('ArgMax', [x], { axis: attr.int(axis), keepdims: attr.int(0) })
