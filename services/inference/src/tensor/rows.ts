import type { TensorData } from './datatypes.ts'
import { fromHalf } from './fp16.ts'

/** Row r of a tensor whose first dimension is the batch, as plain JSON-friendly values. */
export function rowValues(tensor: TensorData, r: number): unknown[] {
  const rows = tensor.shape.length > 1 ? (tensor.shape[0] as number) : 1
  const width = tensor.data.length / Math.max(rows, 1)
  const values = Array.from(tensor.data.slice(r * width, (r + 1) * width) as ArrayLike<unknown>)
  switch (tensor.datatype) {
    case 'FP16':
      return values.map((v) => fromHalf(v as number))
    case 'FP32':
      return values.map((v) => shortestFloat32(v as number))
    case 'BOOL':
      return values.map(Boolean)
    case 'INT64':
    case 'UINT64':
      return values.map(Number)
    default:
      return values
  }
}

export function argmax(values: readonly unknown[]): number {
  let best = 0
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i
  return best
}

/** The shortest decimal that reads back as the same float32: 15.2, not 15.199999809265137. */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits))
    if (Math.fround(candidate) === value) return candidate
  }
  return value
}
