import type { ModelConfig } from '../config/index.ts'
import { argmax, rowValues, type TensorData } from '../tensor/index.ts'

/**
 * Row r's prediction, when the model has one: the class label of a labelled output, or the value
 * of a single-valued output (a regression).
 */
export function predictionOf(config: ModelConfig, outputs: TensorData[], r: number): unknown {
  const labelled = outputs.find((o) => config.labels[o.name])
  if (labelled) return config.labels[labelled.name]?.[argmax(rowValues(labelled, r))]
  if (outputs.length !== 1 || !outputs[0]) return undefined
  const values = rowValues(outputs[0], r)
  return values.length === 1 ? values[0] : undefined
}
