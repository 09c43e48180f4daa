export { argmaxRow, hstack, type Matrix, zeros } from './matrix.ts'
export {
  type ClassificationMetrics,
  classificationMetrics,
  type RegressionMetrics,
  regressionMetrics,
} from './metrics.ts'
export {
  type DenseLayer,
  initMlp,
  type Mlp,
  predict,
  softmaxRows,
  type Targets,
  type TrainOptions,
  trainMlp,
} from './mlp.ts'
export {
  type FittedInput,
  featureMatrix,
  fitInputs,
  type InputSpec,
  meanStd,
  numberColumn,
  type Row,
  sortedUnique,
  stringColumn,
} from './preprocess.ts'
export { createRandom, holdoutSplit } from './random.ts'
