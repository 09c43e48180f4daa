export interface ClassificationMetrics {
  accuracy: number
  /** F1 averaged over the classes that occur among the actual or the predicted labels. */
  macro_f1: number
}

export interface RegressionMetrics {
  rmse: number
  mae: number
  r2: number
}

export function classificationMetrics(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
): ClassificationMetrics {
  const counts = new Map<number, { tp: number; fp: number; fn: number }>()
  const count = (label: number) => {
    const c = counts.get(label) ?? { tp: 0, fp: 0, fn: 0 }
    counts.set(label, c)
    return c
  }
  let correct = 0
  for (let i = 0; i < actual.length; i++) {
    const [a, p] = [actual[i] as number, predicted[i] as number]
    if (a === p) {
      correct++
      count(a).tp++
    } else {
      count(a).fn++
      count(p).fp++
    }
  }
  let f1 = 0
  for (const { tp, fp, fn } of counts.values()) f1 += (2 * tp) / (2 * tp + fp + fn)
  return { accuracy: correct / actual.length, macro_f1: f1 / counts.size }
}

export function regressionMetrics(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
): RegressionMetrics {
  const n = actual.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += (actual[i] as number) / n
  let squared = 0
  let absolute = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    const error = (predicted[i] as number) - (actual[i] as number)
    squared += error * error
    absolute += Math.abs(error)
    total += ((actual[i] as number) - mean) ** 2
  }
  return { rmse: Math.sqrt(squared / n), mae: absolute / n, r2: 1 - squared / total }
}
