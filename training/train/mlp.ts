import { type Matrix, zeros } from './matrix.ts'
import { createRandom } from './random.ts'

/** y = x·W + b, with W row-major [inputs][outputs] (the layout of an ONNX Gemm's B). */
export interface DenseLayer {
  inputs: number
  outputs: number
  weights: Float64Array
  bias: Float64Array
}

/** Dense layers with ReLU between them; the last layer's outputs are raw (logits or values). */
export type Mlp = DenseLayer[]

/** He-initialised layers for `sizes` = [inputs, ...hidden, outputs]; biases start at zero. */
export function initMlp(sizes: readonly number[], seed: number): Mlp {
  const random = createRandom(seed)
  return sizes.slice(1).map((outputs, i) => {
    const inputs = sizes[i] as number
    const scale = Math.sqrt(2 / inputs)
    const weights = Float64Array.from({ length: inputs * outputs }, () => random.normal() * scale)
    return { inputs, outputs, weights, bias: new Float64Array(outputs) }
  })
}

/** y += alpha · x, the inner loop of every product here. */
function axpy(y: Float64Array, alpha: number, x: Float64Array) {
  for (let k = 0; k < x.length; k++) y[k] = (y[k] as number) + alpha * (x[k] as number)
}

function dot(a: Float64Array, b: Float64Array) {
  let sum = 0
  for (let k = 0; k < a.length; k++) sum += (a[k] as number) * (b[k] as number)
  return sum
}

/** Row i of a [rows][width] row-major matrix. */
const row = (data: Float64Array, i: number, width: number) =>
  data.subarray(i * width, (i + 1) * width)

/** One row through every layer; activations[l] receives layer l's output (ReLU but for the last). */
function forwardRow(mlp: Mlp, x: Float64Array, activations: Float64Array[]): Float64Array {
  return mlp.reduce((input, layer, l) => {
    const out = activations[l] as Float64Array
    out.set(layer.bias)
    // Skipping zero inputs pays off: one-hot columns and ReLU outputs are mostly zero.
    for (let i = 0; i < layer.inputs; i++) {
      if (input[i]) axpy(out, input[i] as number, row(layer.weights, i, layer.outputs))
    }
    if (l < mlp.length - 1)
      for (let o = 0; o < out.length; o++) out[o] = Math.max(0, out[o] as number)
    return out
  }, x)
}

const activationBuffers = (mlp: Mlp) => mlp.map((layer) => new Float64Array(layer.outputs))

/** The raw outputs (logits or values) for every row of x. */
export function predict(mlp: Mlp, x: Matrix): Matrix {
  const last = mlp.at(-1)
  if (!last) throw new Error('an MLP needs at least one layer')
  const out = zeros(x.rows, last.outputs)
  const activations = activationBuffers(mlp)
  for (let r = 0; r < x.rows; r++) {
    out.data.set(forwardRow(mlp, row(x.data, r, x.cols), activations), r * last.outputs)
  }
  return out
}

/** In place, each row becomes its softmax. */
export function softmaxRows(m: Matrix): Matrix {
  for (let r = 0; r < m.rows; r++) {
    const row = m.data.subarray(r * m.cols, (r + 1) * m.cols)
    const max = Math.max(...row)
    let sum = 0
    for (let c = 0; c < m.cols; c++) {
      row[c] = Math.exp((row[c] as number) - max)
      sum += row[c] as number
    }
    for (let c = 0; c < m.cols; c++) row[c] = (row[c] as number) / sum
  }
  return m
}

export type Targets =
  | { task: 'classification'; labels: Int32Array; classes: number }
  | { task: 'regression'; values: Float64Array }

export interface TrainOptions {
  /** Hidden layer sizes; [] trains softmax (or linear) regression. */
  hidden: readonly number[]
  epochs: number
  batchSize: number
  learningRate: number
  /** L2 penalty on the weights (not the biases). */
  l2: number
  seed: number
}

/**
 * Mini-batch Adam on softmax cross-entropy (classification) or squared error (regression). The
 * output-layer error is the same expression for both: prediction minus target.
 */
export function trainMlp(
  x: Matrix,
  targets: Targets,
  options: TrainOptions,
  /** Told after each epoch: training holds the thread for seconds, progress is all a caller sees. */
  onEpoch?: (epoch: number, epochs: number) => void,
): Mlp {
  const outputs = targets.task === 'classification' ? targets.classes : 1
  const mlp = initMlp([x.cols, ...options.hidden, outputs], options.seed)
  const random = createRandom(options.seed + 1)
  const params = mlp.flatMap((layer) => [layer.weights, layer.bias])
  const grads = params.map((p) => new Float64Array(p.length))
  const adam = new Adam(params, options.learningRate)
  const buffers = { activations: activationBuffers(mlp), deltas: activationBuffers(mlp) }
  const order = Array.from({ length: x.rows }, (_, i) => i)

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    random.shuffle(order)
    for (let start = 0; start < order.length; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize)
      for (const g of grads) g.fill(0)
      for (const r of batch) {
        backpropagate(mlp, row(x.data, r, x.cols), targets, r, 1 / batch.length, grads, buffers)
      }
      mlp.forEach((layer, l) => {
        axpy(grads[2 * l] as Float64Array, options.l2, layer.weights)
      })
      adam.step(grads)
    }
    onEpoch?.(epoch + 1, options.epochs)
  }
  return mlp
}

/** Adds `scale` times row r's loss gradient to grads (weights and bias of each layer, in turn). */
function backpropagate(
  mlp: Mlp,
  x: Float64Array,
  targets: Targets,
  r: number,
  scale: number,
  grads: Float64Array[],
  { activations, deltas }: { activations: Float64Array[]; deltas: Float64Array[] },
) {
  const output = forwardRow(mlp, x, activations)
  const error = deltas.at(-1) as Float64Array
  if (targets.task === 'regression') {
    error[0] = (output[0] as number) - (targets.values[r] as number)
  } else {
    error.set(output)
    softmaxRows({ rows: 1, cols: error.length, data: error })
    const label = targets.labels[r] as number
    error[label] = (error[label] as number) - 1
  }
  for (let l = mlp.length - 1; l >= 0; l--) {
    const layer = mlp[l] as DenseLayer
    const delta = deltas[l] as Float64Array
    const input = l === 0 ? x : (activations[l - 1] as Float64Array)
    const gw = grads[2 * l] as Float64Array
    axpy(grads[2 * l + 1] as Float64Array, scale, delta)
    for (let i = 0; i < layer.inputs; i++) {
      if (input[i]) axpy(row(gw, i, layer.outputs), scale * (input[i] as number), delta)
    }
    if (l === 0) continue
    // Back through W, then through the previous layer's ReLU (zero where it was inactive).
    const previous = deltas[l - 1] as Float64Array
    for (let i = 0; i < layer.inputs; i++) {
      previous[i] = (input[i] as number) > 0 ? dot(row(layer.weights, i, layer.outputs), delta) : 0
    }
  }
}

class Adam {
  readonly #m: Float64Array[]
  readonly #v: Float64Array[]
  #t = 0

  constructor(
    readonly params: Float64Array[],
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    this.#m = params.map((p) => new Float64Array(p.length))
    this.#v = params.map((p) => new Float64Array(p.length))
  }

  step(grads: readonly Float64Array[]) {
    this.#t++
    const correct1 = 1 - this.beta1 ** this.#t
    const correct2 = 1 - this.beta2 ** this.#t
    this.params.forEach((p, k) => {
      const g = grads[k] as Float64Array
      const m = this.#m[k] as Float64Array
      const v = this.#v[k] as Float64Array
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number
        m[i] = this.beta1 * (m[i] as number) + (1 - this.beta1) * gi
        v[i] = this.beta2 * (v[i] as number) + (1 - this.beta2) * gi * gi
        p[i] =
          (p[i] as number) -
          (this.learningRate * ((m[i] as number) / correct1)) /
            (Math.sqrt((v[i] as number) / correct2) + this.epsilon)
      }
    })
  }
}
