/**
 * Evidently's `model` embedding drift: a classifier learns to tell reference rows (label 1) from
 * current rows (label 0) on a random half of both, and its ROC AUC on the other half is the
 * drift score. The split is scikit-learn's `train_test_split(test_size=0.5, random_state=42)`
 * drawn with numpy's generator, so the same rows are held out; the classifier is Infera's own
 * (see `fitLogistic`), so the score is close to Evidently's, not equal.
 */

import { RandomState, uniform } from './draws.ts'
import type { Matrix } from './matrix.ts'
import { rocAuc } from './roc.ts'

// Evidently's seeds: the split's random_state and the random classifiers' 0 … 99.
const SPLIT_SEED = 42
const RANDOM_CLASSIFIERS = 100

export interface Split {
  train: Uint32Array
  test: Uint32Array
}

/** `train_test_split(…, test_size=0.5, shuffle=True, random_state=42)` over `rows` rows. */
export function heldOutSplit(rows: number): Split {
  const permutation = new RandomState(SPLIT_SEED).permutation(rows)
  const testSize = Math.ceil(0.5 * rows)
  return { test: permutation.subarray(0, testSize), train: permutation.subarray(testSize) }
}

/** The ROC AUCs of classifiers guessing at random (`np.random.rand`, seeds 0 … 99) on `labels`. */
export function randomClassifierAucs(labels: ArrayLike<number>): Float64Array {
  const aucs = new Float64Array(RANDOM_CLASSIFIERS)
  const guesses = new Float64Array(labels.length)
  for (let i = 0; i < RANDOM_CLASSIFIERS; i++) {
    const random = new RandomState(i)
    for (let k = 0; k < guesses.length; k++) guesses[k] = uniform(random)
    aucs[i] = rocAuc(labels, guesses)
  }
  return aucs
}

export interface ModelResult {
  statistic: number
  /** The random classifiers' AUCs on the same held-out labels, when bootstrapped. */
  bootstrap?: Float64Array
}

export function classifierAuc(reference: Matrix, current: Matrix, bootstrap: boolean): ModelResult {
  const rows = reference.rows + current.rows
  const { train, test } = heldOutSplit(rows)
  // Row i of the stacked data: reference rows first, as Evidently concatenates them.
  const row = (i: number): [Float64Array, number] =>
    i < reference.rows
      ? [reference.data.subarray(i * reference.dim, (i + 1) * reference.dim), 1]
      : [
          current.data.subarray(
            (i - reference.rows) * current.dim,
            (i - reference.rows + 1) * current.dim,
          ),
          0,
        ]
  const model = fitLogistic(Array.from(train, row), reference.dim)
  const labels = new Float64Array(test.length)
  const scores = new Float64Array(test.length)
  test.forEach((i, k) => {
    const [x, y] = row(i)
    labels[k] = y
    scores[k] = model(x)
  })
  const statistic = rocAuc(labels, scores)
  return bootstrap ? { statistic, bootstrap: randomClassifierAucs(labels) } : { statistic }
}

// scikit-learn's SGDClassifier default L2 strength, on the mean log loss.
const ALPHA = 1e-4
const ITERATIONS = 200
const POWER_ITERATIONS = 20

/**
 * L2-regularised logistic regression on standardised features (the training half's mean and
 * standard deviation), minimised by Nesterov's accelerated full-batch gradient descent from zero
 * with step 1/L, L bounded by power iteration. Deterministic, unlike SGD's shuffled epochs; it
 * returns the score (the linear term; its ordering is the probability's) of a row.
 */
export function fitLogistic(
  rows: ReadonlyArray<[Float64Array, number]>,
  dim: number,
): (x: Float64Array) => number {
  const n = rows.length
  const mean = new Float64Array(dim)
  const scale = new Float64Array(dim)
  for (const [x] of rows)
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (x[j] as number)
  for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / n
  for (const [x] of rows) {
    for (let j = 0; j < dim; j++)
      scale[j] = (scale[j] as number) + ((x[j] as number) - (mean[j] as number)) ** 2
  }
  for (let j = 0; j < dim; j++) {
    const sd = Math.sqrt((scale[j] as number) / n)
    scale[j] = sd > 0 ? 1 / sd : 0
  }
  // The standardised design with a column of ones for the intercept, row-major.
  const width = dim + 1
  const design = new Float64Array(n * width)
  const labels = new Float64Array(n)
  rows.forEach(([x, y], i) => {
    for (let j = 0; j < dim; j++)
      design[i * width + j] = ((x[j] as number) - (mean[j] as number)) * (scale[j] as number)
    design[i * width + dim] = 1
    labels[i] = y
  })
  const product = (w: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let j = 0; j < width; j++) s += (design[i * width + j] as number) * (w[j] as number)
      out[i] = s
    }
  }
  const transposed = (v: Float64Array, out: Float64Array) => {
    out.fill(0)
    for (let i = 0; i < n; i++) {
      const vi = v[i] as number
      for (let j = 0; j < width; j++)
        out[j] = (out[j] as number) + (design[i * width + j] as number) * vi
    }
  }
  const margins = new Float64Array(n)
  const gradient = new Float64Array(width)
  // The loss's curvature is at most λmax(XᵀX)/(4n) + α: its inverse is a step that never diverges.
  let v = new Float64Array(width).fill(1 / Math.sqrt(width))
  let eigen = 0
  for (let k = 0; k < POWER_ITERATIONS; k++) {
    product(v, margins)
    transposed(margins, gradient)
    eigen = Math.hypot(...gradient)
    if (eigen === 0) break
    v = gradient.map((g) => g / eigen)
  }
  // Power iteration approaches λmax from below: the margin keeps the step safe.
  const step = 1 / ((1.1 * eigen) / (4 * n) + ALPHA)
  let w = new Float64Array(width)
  let previous = new Float64Array(width)
  const look = new Float64Array(width)
  for (let t = 1; t <= ITERATIONS; t++) {
    const momentum = (t - 1) / (t + 2)
    for (let j = 0; j < width; j++)
      look[j] = (w[j] as number) + momentum * ((w[j] as number) - (previous[j] as number))
    product(look, margins)
    for (let i = 0; i < n; i++)
      margins[i] = 1 / (1 + Math.exp(-(margins[i] as number))) - (labels[i] as number)
    transposed(margins, gradient)
    previous = w
    w = new Float64Array(width)
    for (let j = 0; j < width; j++) {
      // The intercept is not penalised, as in scikit-learn.
      const penalty = j < dim ? ALPHA * (look[j] as number) : 0
      w[j] = (look[j] as number) - step * ((gradient[j] as number) / n + penalty)
    }
  }
  const weights = w
  return (x) => {
    let s = weights[dim] as number
    for (let j = 0; j < dim; j++)
      s += ((x[j] as number) - (mean[j] as number)) * (scale[j] as number) * (weights[j] as number)
    return s
  }
}
