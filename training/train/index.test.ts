import { describe, expect, it } from 'vitest'
import {
  argmaxRow,
  classificationMetrics,
  createRandom,
  featureMatrix,
  fitInputs,
  holdoutSplit,
  type Matrix,
  predict,
  regressionMetrics,
  trainMlp,
} from './index.ts'

const matrix = (rows: number[][]): Matrix => ({
  rows: rows.length,
  cols: rows[0]?.length ?? 0,
  data: Float64Array.from(rows.flat()),
})

describe('random', () => {
  it('repeats a sequence for a seed, and normal draws are standard normal', () => {
    const draws = (seed: number) => Array.from({ length: 5 }, createRandom(seed).next)
    expect(draws(1)).toEqual(draws(1))
    expect(draws(1)).not.toEqual(draws(2))
    const random = createRandom(3)
    const values = Array.from({ length: 20_000 }, random.normal)
    const mean = values.reduce((a, b) => a + b) / values.length
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(variance).toBeCloseTo(1, 1)
  })

  it('splits off a seeded holdout that partitions the rows', () => {
    const rows = Array.from({ length: 10 }, (_, i) => i)
    const split = holdoutSplit(rows, 0.3, 1)
    expect(split.holdout).toHaveLength(3)
    expect([...split.train, ...split.holdout].sort((a, b) => a - b)).toEqual(rows)
    expect(holdoutSplit(rows, 0.3, 1)).toEqual(split)
    expect(holdoutSplit(rows, 0.3, 2)).not.toEqual(split)
  })
})

describe('metrics', () => {
  it('computes accuracy and macro-F1 over the classes that occur', () => {
    // F1 per class: 0 → 2/(2+1+1), 1 → 4/(4+1), 2 → 0; class 7 never occurs and does not count.
    const m = classificationMetrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0])
    expect(m.accuracy).toBeCloseTo(0.6)
    expect(m.macro_f1).toBeCloseTo((0.5 + 0.8 + 0) / 3)
    expect(classificationMetrics([2, 1], [2, 1])).toEqual({ accuracy: 1, macro_f1: 1 })
  })

  it('computes RMSE, MAE and R²', () => {
    const m = regressionMetrics([1, 2, 3, 4], [1, 2, 3, 6])
    expect(m.rmse).toBeCloseTo(1)
    expect(m.mae).toBeCloseTo(0.5)
    expect(m.r2).toBeCloseTo(1 - 4 / 5)
  })
})

describe('featureMatrix', () => {
  it('standardises numerical columns and one-hot encodes categorical ones, unseen as zeros', () => {
    const train = [
      { a: 1, b: 5, colour: 'red' },
      { a: 3, b: 5, colour: 'blue' },
    ]
    const inputs = fitInputs(
      [
        { name: 'num', kind: 'numerical', columns: ['a', 'b'] },
        { name: 'cat', kind: 'categorical', columns: ['colour'] },
      ],
      train,
    )
    expect(inputs).toEqual([
      // A constant column keeps a standard deviation of 1 rather than dividing by zero.
      { name: 'num', kind: 'numerical', columns: ['a', 'b'], mean: [2, 5], std: [1, 1] },
      { name: 'cat', kind: 'categorical', columns: ['colour'], categories: [['blue', 'red']] },
    ])
    const x = featureMatrix(inputs, [...train, { a: 4, b: 6, colour: 'green' }])
    expect(x.cols).toBe(4)
    expect(Array.from(x.data)).toEqual([-1, 0, 0, 1, 1, 0, 1, 0, 2, 1, 0, 0])
    expect(() => featureMatrix(inputs, [{ a: 'x', b: 1, colour: 'red' }])).toThrow(/non-number/)
  })
})

describe('trainMlp', () => {
  const options = { epochs: 300, batchSize: 4, learningRate: 0.05, l2: 0, seed: 1 }
  const xor = matrix([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ])
  const accuracy = (hidden: number[]) => {
    const mlp = trainMlp(
      xor,
      { task: 'classification', labels: Int32Array.from([0, 1, 1, 0]), classes: 2 },
      { ...options, hidden },
    )
    const scores = predict(mlp, xor)
    return [0, 1, 1, 0].filter((label, r) => argmaxRow(scores, r) === label).length / 4
  }

  it('learns XOR with a hidden layer, which softmax regression cannot', () => {
    expect(accuracy([8])).toBe(1)
    expect(accuracy([])).toBeLessThan(1)
  })

  it('fits a linear regression and is deterministic in its seed', () => {
    const random = createRandom(5)
    const rows = Array.from({ length: 200 }, () => [random.normal(), random.normal()])
    const x = matrix(rows)
    const values = Float64Array.from(rows, ([a, b]) => 3 * (a as number) - 2 * (b as number) + 1)
    const train = () =>
      trainMlp(x, { task: 'regression', values }, { ...options, batchSize: 16, hidden: [] })
    const mlp = train()
    expect(Array.from(mlp[0]?.weights ?? []).map((w) => Number(w.toFixed(2)))).toEqual([3, -2])
    expect(mlp[0]?.bias[0]).toBeCloseTo(1, 2)
    expect(train()).toEqual(mlp)
  })
})
