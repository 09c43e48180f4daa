import type { ModelConfigFile } from '../../services/inference/src/config/index.ts'
import { buildTabularModel } from '../onnx/index.ts'
import {
  argmaxRow,
  type ClassificationMetrics,
  classificationMetrics,
  type DenseLayer,
  featureMatrix,
  fitInputs,
  type Matrix,
  meanStd,
  numberColumn,
  predict,
  type RegressionMetrics,
  type Row,
  regressionMetrics,
  sortedUnique,
  stringColumn,
  trainMlp,
} from '../train/index.ts'
import type { DemoSpec } from './specs.ts'

/** `config.json`, in the model server's schema. */
export type DemoModelConfig = ModelConfigFile &
  Required<Pick<ModelConfigFile, 'task' | 'target' | 'features'>>

/** `metrics.json`: how the model did on rows it was not trained on. */
export interface DemoMetrics {
  task: DemoSpec['task']
  target: string
  rows: { train: number; holdout: number }
  holdout: ClassificationMetrics | RegressionMetrics
  training_seconds: number
}

export interface TrainedDemoModel {
  config: DemoModelConfig
  onnx: Uint8Array
  metrics: DemoMetrics
  /** The columns of reference.csv: the features in config order, then the target. */
  referenceColumns: string[]
}

/** Holdout metrics from a model's outputs: class scores when there are `labels`, else values. */
export function evaluate(
  scores: Matrix,
  rows: readonly Row[],
  target: string,
  labels?: readonly string[],
): ClassificationMetrics | RegressionMetrics {
  if (!labels) return regressionMetrics(numberColumn(rows, target), scores.data)
  const actual = stringColumn(rows, target).map((label) => labels.indexOf(label))
  const predicted = Array.from({ length: scores.rows }, (_, r) => argmaxRow(scores, r))
  return classificationMetrics(actual, predicted)
}

/** Trains on the training rows, then scores the model on the holdout rows. */
export function trainDemoModel(
  name: string,
  spec: DemoSpec,
  { train, holdout }: { train: readonly Row[]; holdout: readonly Row[] },
  onEpoch?: (epoch: number, epochs: number) => void,
): TrainedDemoModel {
  const started = performance.now()
  const inputs = fitInputs(spec.inputs, train)
  const x = featureMatrix(inputs, train)
  const { layers, labels } =
    spec.task === 'classification'
      ? fitClassifier(spec, train, x, onEpoch)
      : fitRegressor(spec, train, x, onEpoch)
  const trainingSeconds = (performance.now() - started) / 1000

  const config: DemoModelConfig = {
    task: spec.task,
    target: spec.target,
    max_batch_size: 64,
    dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 1024 },
    version_policy: { latest: { num_versions: 1 } },
    features: Object.fromEntries(spec.inputs.map((input) => [input.name, [...input.columns]])),
    ...(labels && { labels: { [spec.output]: labels } }),
  }
  const onnx = buildTabularModel({
    name,
    inputs,
    layers,
    output: { name: spec.output, softmax: spec.task === 'classification' },
  })
  const metrics: DemoMetrics = {
    task: spec.task,
    target: spec.target,
    rows: { train: train.length, holdout: holdout.length },
    holdout: evaluate(
      predict(layers, featureMatrix(inputs, holdout)),
      holdout,
      spec.target,
      labels,
    ),
    training_seconds: Number(trainingSeconds.toFixed(3)),
  }
  const referenceColumns = [...spec.inputs.flatMap((input) => input.columns), spec.target]
  return { config, onnx, metrics, referenceColumns }
}

function fitClassifier(
  spec: DemoSpec,
  train: readonly Row[],
  x: Matrix,
  onEpoch?: (epoch: number, epochs: number) => void,
) {
  const labels = sortedUnique(stringColumn(train, spec.target))
  const indices = Int32Array.from(stringColumn(train, spec.target), (v) => labels.indexOf(v))
  const targets = { task: 'classification', labels: indices, classes: labels.length } as const
  return { layers: trainMlp(x, targets, spec.training, onEpoch), labels }
}

/**
 * Trains on the standardised target (Adam's step size suits unit-scale outputs), then folds the
 * scale back into the last layer so that the model outputs the target in its own units.
 */
function fitRegressor(
  spec: DemoSpec,
  train: readonly Row[],
  x: Matrix,
  onEpoch?: (epoch: number, epochs: number) => void,
) {
  const y = numberColumn(train, spec.target)
  const { mean, std } = meanStd(y)
  const layers = trainMlp(
    x,
    { task: 'regression', values: y.map((v) => (v - mean) / std) },
    spec.training,
    onEpoch,
  )
  const last = layers.at(-1) as DenseLayer
  last.weights = last.weights.map((w) => w * std)
  last.bias = last.bias.map((b) => b * std + mean)
  return { layers, labels: undefined }
}
