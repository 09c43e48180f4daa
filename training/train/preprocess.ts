import { hstack, type Matrix, zeros } from './matrix.ts'

/** A table row: column name to value. */
export type Row = Readonly<Record<string, string | number>>

/** One model input tensor: its columns, all numerical (standardised) or all categorical (one-hot). */
export interface InputSpec {
  name: string
  kind: 'numerical' | 'categorical'
  columns: readonly string[]
}

/** An input with the statistics learnt from the training rows. */
export type FittedInput = { name: string; columns: readonly string[] } & (
  | { kind: 'numerical'; mean: number[]; std: number[] }
  | { kind: 'categorical'; categories: string[][] }
)

export function meanStd(values: ArrayLike<number>) {
  let mean = 0
  for (let i = 0; i < values.length; i++) mean += (values[i] as number) / values.length
  let variance = 0
  for (let i = 0; i < values.length; i++)
    variance += ((values[i] as number) - mean) ** 2 / values.length
  // A constant column would divide by zero: leave it centred but unscaled.
  return { mean, std: Math.sqrt(variance) || 1 }
}

export const numberColumn = (rows: readonly Row[], column: string) =>
  Float64Array.from(rows, (row) => {
    const value = row[column]
    if (typeof value !== 'number') throw new Error(`column '${column}' has non-number ${value}`)
    return value
  })

export const stringColumn = (rows: readonly Row[], column: string) =>
  rows.map((row) => {
    const value = row[column]
    if (typeof value !== 'string') throw new Error(`column '${column}' has non-string ${value}`)
    return value
  })

export const sortedUnique = (values: readonly string[]) => [...new Set(values)].sort()

export function fitInputs(specs: readonly InputSpec[], rows: readonly Row[]): FittedInput[] {
  return specs.map(({ name, kind, columns }) => {
    if (kind === 'categorical') {
      return {
        name,
        kind,
        columns,
        categories: columns.map((c) => sortedUnique(stringColumn(rows, c))),
      }
    }
    const stats = columns.map((c) => meanStd(numberColumn(rows, c)))
    return { name, kind, columns, mean: stats.map((s) => s.mean), std: stats.map((s) => s.std) }
  })
}

/**
 * The model's feature matrix, as the ONNX graph computes it: each input in order, numerical
 * columns standardised, each categorical column one-hot (an unseen category is all zeros).
 */
export function featureMatrix(inputs: readonly FittedInput[], rows: readonly Row[]): Matrix {
  return hstack(
    inputs.flatMap((input) =>
      input.columns.map((column, j) => {
        if (input.kind === 'numerical') {
          const values = numberColumn(rows, column)
          const [mean, std] = [input.mean[j] as number, input.std[j] as number]
          return { rows: rows.length, cols: 1, data: values.map((v) => (v - mean) / std) }
        }
        const categories = input.categories[j] as string[]
        const out = zeros(rows.length, categories.length)
        stringColumn(rows, column).forEach((value, r) => {
          const c = categories.indexOf(value)
          if (c >= 0) out.data[r * categories.length + c] = 1
        })
        return out
      }),
    ),
  )
}
