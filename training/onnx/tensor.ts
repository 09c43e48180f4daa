import { toHalf } from '../../services/inference/src/tensor/index.ts'
import { type Onnx, onnx } from './proto.ts'

const T = onnx.TensorProto.DataType

/** Open Inference Protocol datatypes, with the ONNX element type each is stored as. */
export const ONNX_ELEMENT_TYPES = {
  BOOL: T.BOOL,
  UINT8: T.UINT8,
  UINT16: T.UINT16,
  UINT32: T.UINT32,
  UINT64: T.UINT64,
  INT8: T.INT8,
  INT16: T.INT16,
  INT32: T.INT32,
  INT64: T.INT64,
  FP16: T.FLOAT16,
  FP32: T.FLOAT,
  FP64: T.DOUBLE,
  BYTES: T.STRING,
} as const

export type Datatype = keyof typeof ONNX_ELEMENT_TYPES

export const DATATYPE_NAMES = Object.keys(ONNX_ELEMENT_TYPES) as Datatype[]

/** A tensor's contents: row-major values whose count is the product of `dims` (none: a scalar). */
export type TensorInit = { dims: readonly number[] } & (
  | { datatype: 'BYTES'; values: readonly string[] }
  | { datatype: 'BOOL'; values: ArrayLike<boolean> }
  | { datatype: 'INT64' | 'UINT64'; values: ArrayLike<number | bigint> }
  | {
      datatype: Exclude<Datatype, 'BYTES' | 'BOOL' | 'INT64' | 'UINT64'>
      values: ArrayLike<number>
    }
)

type Element = number | bigint | boolean
type Writer = (view: DataView, offset: number, value: Element) => void

// raw_data is little-endian whatever the host: DataView makes that explicit.
const RAW: Record<Exclude<Datatype, 'BYTES'>, { bytes: number; write: Writer }> = {
  BOOL: { bytes: 1, write: (v, o, x) => v.setUint8(o, x ? 1 : 0) },
  UINT8: { bytes: 1, write: (v, o, x) => v.setUint8(o, Number(x)) },
  UINT16: { bytes: 2, write: (v, o, x) => v.setUint16(o, Number(x), true) },
  UINT32: { bytes: 4, write: (v, o, x) => v.setUint32(o, Number(x), true) },
  UINT64: { bytes: 8, write: (v, o, x) => v.setBigUint64(o, BigInt(x), true) },
  INT8: { bytes: 1, write: (v, o, x) => v.setInt8(o, Number(x)) },
  INT16: { bytes: 2, write: (v, o, x) => v.setInt16(o, Number(x), true) },
  INT32: { bytes: 4, write: (v, o, x) => v.setInt32(o, Number(x), true) },
  INT64: { bytes: 8, write: (v, o, x) => v.setBigInt64(o, BigInt(x), true) },
  FP16: { bytes: 2, write: (v, o, x) => v.setUint16(o, toHalf(Number(x)), true) },
  FP32: { bytes: 4, write: (v, o, x) => v.setFloat32(o, Number(x), true) },
  FP64: { bytes: 8, write: (v, o, x) => v.setFloat64(o, Number(x), true) },
}

const utf8 = new TextEncoder()
export const encodeUtf8 = (text: string) => utf8.encode(text)

export function tensorProto(name: string, tensor: TensorInit): Onnx.ITensorProto {
  const count = tensor.dims.reduce((product, dim) => product * dim, 1)
  if (tensor.values.length !== count) {
    throw new Error(
      `tensor '${name}' has ${tensor.values.length} values for dims [${tensor.dims.join(',')}]`,
    )
  }
  const proto = { name, dims: [...tensor.dims], dataType: ONNX_ELEMENT_TYPES[tensor.datatype] }
  if (tensor.datatype === 'BYTES') return { ...proto, stringData: tensor.values.map(encodeUtf8) }
  const { bytes, write } = RAW[tensor.datatype]
  const rawData = new Uint8Array(count * bytes)
  const view = new DataView(rawData.buffer)
  const values: ArrayLike<Element> = tensor.values
  for (let i = 0; i < count; i++) write(view, i * bytes, values[i] as Element)
  return { ...proto, rawData }
}

/** A dimension: a size, or the name of a dynamic one (a `dim_param` such as `batch`). */
export type Dim = number | string

export function valueInfo(
  name: string,
  datatype: Datatype,
  shape: readonly Dim[],
): Onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }))
  return { name, type: { tensorType: { elemType: ONNX_ELEMENT_TYPES[datatype], shape: { dim } } } }
}
