import { initMlp, type Mlp } from '../train/mlp.ts'
import type { FittedInput } from '../train/preprocess.ts'
import { GraphBuilder } from './graph.ts'
import { column, concat, mlp, oneHot, softmax, standardize } from './ops.ts'
import type { Datatype } from './tensor.ts'

export interface IdentityModelOptions {
  datatype: Datatype
  /** 'batch' is the dynamic first dimension. */
  shape: readonly (number | 'batch')[]
}

/** `output` = `input`, of any Open Inference Protocol datatype (BYTES is an ONNX string tensor). */
export function buildIdentityModel({ datatype, shape }: IdentityModelOptions): Uint8Array {
  const g = new GraphBuilder(`identity_${datatype.toLowerCase()}`)
  g.output('output', datatype, shape, g.op('Identity', [g.input('input', datatype, shape)]))
  return g.serialize()
}

export interface MlpModelOptions {
  inputSize: number
  hidden: readonly number[]
  outputSize: number
  seed: number
  softmax: boolean
}

/** An untrained ReLU MLP with seeded He-initialised weights: FP32 `input` [batch, inputSize] to `output`. */
export function buildMlp(options: MlpModelOptions): Uint8Array {
  const { inputSize, hidden, outputSize, seed } = options
  const g = new GraphBuilder('mlp')
  const logits = mlp(
    g,
    g.input('input', 'FP32', ['batch', inputSize]),
    initMlp([inputSize, ...hidden, outputSize], seed),
  )
  g.output('output', 'FP32', ['batch', outputSize], options.softmax ? softmax(g, logits) : logits)
  return g.serialize()
}

export interface TabularModelOptions {
  name: string
  /** Numerical inputs are FP32 [batch, columns], categorical ones BYTES [batch, columns]. */
  inputs: readonly FittedInput[]
  layers: Mlp
  output: { name: string; softmax: boolean }
}

/**
 * A model that takes raw table columns: it standardises the numerical inputs, one-hot encodes
 * each categorical column, concatenates them in input order (as `featureMatrix` does) and runs
 * the MLP.
 */
export function buildTabularModel({
  name,
  inputs,
  layers,
  output,
}: TabularModelOptions): Uint8Array {
  const g = new GraphBuilder(name)
  const features = inputs.flatMap((input) => {
    const shape = ['batch', input.columns.length]
    if (input.kind === 'numerical') {
      return [standardize(g, g.input(input.name, 'FP32', shape), input.mean, input.std)]
    }
    const x = g.input(input.name, 'BYTES', shape)
    return input.categories.map((categories, j) => oneHot(g, column(g, x, j), categories))
  })
  const x = features.length === 1 ? (features[0] as string) : concat(g, features, 1)
  const y = mlp(g, x, layers)
  const width = layers.at(-1)?.outputs ?? 0
  g.output(output.name, 'FP32', ['batch', width], output.softmax ? softmax(g, y) : y)
  return g.serialize()
}
