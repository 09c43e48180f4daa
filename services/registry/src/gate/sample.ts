/**
 * The gate of a model no holdout can score — raw tensors in and out, no task — and of a first
 * version: it loads as serving would and answers a sample of its declared shapes, and a version
 * replacing production keeps production's inputs and outputs, so clients' requests still fit.
 */
import { InferenceError } from '../../../inference/src/errors/index.ts'
import type { TensorSpec } from '../../../inference/src/model/index.ts'
import { allocate, elementCount, type TensorData } from '../../../inference/src/tensor/index.ts'
import { withModel } from './model.ts'

export interface SampleReport {
  /** The version's inputs and outputs as its graph declares them (-1: any size). */
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  /** The sample's rows: zeros (empty strings for BYTES) of each input's shape, 1 for a free dimension. */
  sample: TensorSpec[]
  /** Why the version failed, or null when it answered and (with production) kept its interface. */
  problem: string | null
}

export interface SampleVersion {
  version: number
  config: Record<string, unknown>
  onnx: Uint8Array
}

const describe = (specs: readonly TensorSpec[]) =>
  specs.map((s) => `${s.name} ${s.datatype}[${s.shape.join(',')}]`).join(', ')

/** A zero of every input, shaped as declared; a free dimension (batch, length) of 1. */
function zeros(inputs: readonly TensorSpec[]): TensorData[] {
  return inputs.map((spec) => {
    const shape = spec.shape.map((dim) => (dim === -1 ? 1 : dim))
    const data = allocate(spec.datatype, elementCount(shape))
    if (Array.isArray(data)) data.fill('')
    return { name: spec.name, datatype: spec.datatype, shape, data }
  })
}

/** The first problem of an answer: a missing output, or a float that is NaN or infinite. */
function answerProblem(outputs: readonly TensorSpec[], answer: readonly TensorData[]) {
  for (const spec of outputs) {
    const tensor = answer.find((t) => t.name === spec.name)
    if (!tensor) return `its answer has no output '${spec.name}'`
    if (tensor.datatype !== 'FP32' && tensor.datatype !== 'FP64' && tensor.datatype !== 'FP16')
      continue
    const values = tensor.data as ArrayLike<number>
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        return `output '${spec.name}' has ${values[i]} at element ${i} for a sample of zeros`
      }
    }
  }
  return null
}

/** What differs between two interfaces, or null when the same requests fit both. */
function interfaceChange(
  kind: 'inputs' | 'outputs',
  candidate: TensorSpec[],
  production: TensorSpec[],
) {
  const same = describe(candidate) === describe(production)
  return same
    ? null
    : `its ${kind} (${describe(candidate)}) are not production's (${describe(production)})`
}

/**
 * Loads `candidate`, runs a sample of zeros through it (the serving path: validation, batch queue,
 * session) and, when `production` is given, compares their inputs and outputs. A model that does
 * not load is a ModelCheckError (as at registration); one that loads but fails here has `problem`.
 */
export async function checkSample(
  model: string,
  candidate: SampleVersion,
  production?: SampleVersion,
): Promise<SampleReport> {
  const held = production
    ? await withModel({ name: model, ...production }, async (loaded) => ({
        inputs: loaded.inputs,
        outputs: loaded.outputs,
      }))
    : undefined
  return withModel({ name: model, ...candidate }, async (loaded) => {
    const sample = zeros(loaded.inputs)
    const report = {
      inputs: loaded.inputs,
      outputs: loaded.outputs,
      sample: sample.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    }
    let problem: string | null
    try {
      problem = answerProblem(loaded.outputs, (await loaded.infer(sample)).outputs)
    } catch (error) {
      if (!(error instanceof InferenceError)) throw error
      problem = `it does not answer a sample of zeros: ${error.message}`
    }
    problem ??=
      (held && interfaceChange('inputs', loaded.inputs, held.inputs)) ??
      (held && interfaceChange('outputs', loaded.outputs, held.outputs)) ??
      null
    return { ...report, problem }
  })
}
