import { describe, expect, it } from 'vitest'
import { LabelJoin } from './index.ts'

const prediction = (ts: number, value: unknown) => ({
  ts,
  version: '1',
  prediction: value,
  row: { x: ts },
})

describe('LabelJoin', () => {
  it('joins labels to predictions by request id and scores classification over a time range', () => {
    const join = new LabelJoin()
    join.remember('a', prediction(10, 'cat'))
    join.remember('b', prediction(20, 'dog'))
    join.remember('c', prediction(30, 'dog'))
    expect(join.label('a', 'cat')).toMatchObject({
      requestId: 'a',
      prediction: 'cat',
      label: 'cat',
      row: { x: 10 },
    })
    expect(join.label('b', 'cat')).toBeDefined()
    expect(join.label('a', 'cat')).toBeUndefined() // already labelled
    expect(join.label('zzz', 'cat')).toBeUndefined()
    join.label('c', 'dog')
    const all = join.performance(0, 100, 'classification')
    expect(all).toMatchObject({ task: 'classification', labelled_rows: 3 })
    expect(all?.accuracy).toBeCloseTo(2 / 3)
    // cat: tp 1, fn 1 -> F1 2/3; dog: tp 1, fp 1 -> F1 2/3.
    expect(all?.macro_f1).toBeCloseTo(2 / 3)
    expect(join.performance(15, 25, 'classification')).toMatchObject({
      labelled_rows: 1,
      accuracy: 0,
    })
    expect(join.performance(40, 50, 'classification')).toBeUndefined()
  })

  it('scores regression by MAE and RMSE', () => {
    const join = new LabelJoin()
    join.remember('a', prediction(1, 10))
    join.remember('b', prediction(2, 20))
    join.label('a', 13)
    join.label('b', 16)
    const report = join.performance(0, 10, 'regression')
    expect(report).toMatchObject({ task: 'regression', labelled_rows: 2, mae: 3.5 })
    expect(report?.rmse).toBeCloseTo(Math.sqrt((9 + 16) / 2))
  })

  it('forgets the oldest predictions beyond its capacity', () => {
    const join = new LabelJoin({ pending: 2, labelled: 1 })
    join.remember('a', prediction(1, 'x'))
    join.remember('b', prediction(2, 'x'))
    join.remember('c', prediction(3, 'x'))
    expect(join.label('a', 'x')).toBeUndefined()
    join.label('b', 'x')
    join.label('c', 'y')
    expect(join.performance(0, 10, 'classification')).toMatchObject({
      labelled_rows: 1,
      accuracy: 0,
    })
  })
})
