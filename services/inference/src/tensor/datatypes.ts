import type { Tensor } from 'onnxruntime-node'

/** Open Inference Protocol datatypes, with the onnxruntime tensor type and storage each maps to. */
export const DATATYPES = {
  BOOL: { ort: 'bool', bytes: 1, array: Uint8Array },
  UINT8: { ort: 'uint8', bytes: 1, array: Uint8Array },
  UINT16: { ort: 'uint16', bytes: 2, array: Uint16Array },
  UINT32: { ort: 'uint32', bytes: 4, array: Uint32Array },
  UINT64: { ort: 'uint64', bytes: 8, array: BigUint64Array },
  INT8: { ort: 'int8', bytes: 1, array: Int8Array },
  INT16: { ort: 'int16', bytes: 2, array: Int16Array },
  INT32: { ort: 'int32', bytes: 4, array: Int32Array },
  INT64: { ort: 'int64', bytes: 8, array: BigInt64Array },
  FP16: { ort: 'float16', bytes: 2, array: Uint16Array },
  FP32: { ort: 'float32', bytes: 4, array: Float32Array },
  FP64: { ort: 'float64', bytes: 8, array: Float64Array },
  BYTES: { ort: 'string', bytes: 0, array: Array },
} as const satisfies Record<string, { ort: Tensor.Type; bytes: number; array: unknown }>

export type Datatype = keyof typeof DATATYPES

export type TensorValues =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[]

/** A tensor as the protocol sees it: row-major values with their shape. */
export interface TensorData {
  name: string
  datatype: Datatype
  shape: number[]
  data: TensorValues
}

export const isDatatype = (value: unknown): value is Datatype =>
  typeof value === 'string' && Object.hasOwn(DATATYPES, value)

const ORT_TO_DATATYPE = new Map<string, Datatype>(
  Object.entries(DATATYPES).map(([datatype, { ort }]) => [ort, datatype as Datatype]),
)

export function datatypeOfOrt(type: string): Datatype | undefined {
  return ORT_TO_DATATYPE.get(type)
}

export function elementCount(shape: readonly number[]): number {
  let count = 1
  for (const dim of shape) count *= dim
  return count
}

/**
 * The element count of a client's shape, or undefined when it is not a count at all (past
 * Number.MAX_SAFE_INTEGER): a product that large can only be a lie about the data.
 */
export function safeElementCount(shape: readonly number[]): number | undefined {
  if (shape.includes(0)) return 0
  let count = 1
  for (const dim of shape) {
    count *= dim
    if (!Number.isSafeInteger(count)) return undefined
  }
  return count
}

export function allocate(datatype: Datatype, length: number): TensorValues {
  if (datatype === 'BYTES') return new Array<string>(length)
  return new DATATYPES[datatype].array(length)
}

/** Integer ranges of the fixed-width integer datatypes, for validating JSON numbers. */
export const INTEGER_RANGES: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
}
