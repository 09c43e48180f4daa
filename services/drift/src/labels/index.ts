import { classificationMetrics, regressionMetrics } from '../../../../training/train/index.ts'
import type { PerformanceReport } from '../evaluation/index.ts'

export interface Prediction {
  ts: number
  version: string
  prediction: unknown
  /** The monitored columns of the row, kept so a labelled row can feed retraining. */
  row: Record<string, unknown>
}

export interface LabelledPrediction extends Prediction {
  requestId: string
  label: unknown
}

/**
 * Joins ground truth that arrives after the prediction, by request id. Both sides are bounded:
 * the oldest unlabelled predictions and the oldest labelled pairs are forgotten first.
 */
export class LabelJoin {
  readonly #pending = new Map<string, Prediction>()
  readonly #labelled: LabelledPrediction[] = []

  constructor(readonly capacity = { pending: 20_000, labelled: 50_000 }) {}

  remember(requestId: string, prediction: Prediction) {
    this.#pending.delete(requestId)
    this.#pending.set(requestId, prediction)
    if (this.#pending.size > this.capacity.pending) {
      this.#pending.delete(this.#pending.keys().next().value as string)
    }
  }

  /** Attaches a label to its prediction; undefined when the prediction is unknown or forgotten. */
  label(requestId: string, label: unknown): LabelledPrediction | undefined {
    const prediction = this.#pending.get(requestId)
    if (!prediction) return undefined
    this.#pending.delete(requestId)
    const pair = { ...prediction, requestId, label }
    this.#labelled.push(pair)
    if (this.#labelled.length > this.capacity.labelled) this.#labelled.shift()
    return pair
  }

  /** Quality over the labelled predictions made between `start` and `end` (ms), if any. */
  performance(
    start: number,
    end: number,
    task: PerformanceReport['task'],
  ): PerformanceReport | undefined {
    const pairs = this.#labelled.filter((p) => p.ts >= start && p.ts <= end)
    if (pairs.length === 0) return undefined
    if (task === 'regression') {
      const { mae, rmse } = regressionMetrics(
        pairs.map((p) => Number(p.label)),
        pairs.map((p) => Number(p.prediction)),
      )
      return { task, labelled_rows: pairs.length, mae, rmse }
    }
    const classes = new Map<string, number>()
    const index = (value: unknown) => {
      const key = String(value)
      if (!classes.has(key)) classes.set(key, classes.size)
      return classes.get(key) as number
    }
    const { accuracy, macro_f1 } = classificationMetrics(
      pairs.map((p) => index(p.label)),
      pairs.map((p) => index(p.prediction)),
    )
    return { task, labelled_rows: pairs.length, accuracy, macro_f1 }
  }
}
