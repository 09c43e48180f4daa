import { DATATYPES, type TensorData, type TensorValues } from './datatypes.ts'
import { fromHalf } from './fp16.ts'

export interface ResponseOutput extends TensorData {
  binary: boolean
}

export interface InferResponse {
  model_name: string
  model_version: string
  id?: string
  outputs: ResponseOutput[]
}

export interface EncodedResponse {
  body: string | Uint8Array
  /** Set when binary outputs follow the JSON header (the binary tensor extension). */
  headerLength?: number
}

const textEncoder = new TextEncoder()

/**
 * Serialises by hand rather than with JSON.stringify: typed arrays join straight to text, which is
 * faster on the hot path and keeps 64-bit integers exact.
 */
export function encodeInferResponse(response: InferResponse): EncodedResponse {
  const chunks: Uint8Array[] = []
  const outputs = response.outputs.map((output) => {
    const head = `{"name":${JSON.stringify(output.name)},"datatype":"${output.datatype}","shape":[${output.shape.join(',')}]`
    if (!output.binary) return `${head},"data":${jsonData(output)}}`
    const bytes = binaryData(output)
    chunks.push(bytes)
    return `${head},"parameters":{"binary_data_size":${bytes.length}}}`
  })
  const id = response.id === undefined ? '' : `,"id":${JSON.stringify(response.id)}`
  const json = `{"model_name":${JSON.stringify(response.model_name)},"model_version":${JSON.stringify(response.model_version)}${id},"outputs":[${outputs.join(',')}]}`
  if (chunks.length === 0) return { body: json }
  const header = textEncoder.encode(json)
  return { body: concatBytes([header, ...chunks]), headerLength: header.length }
}

export function jsonData({ datatype, data }: TensorData): string {
  switch (datatype) {
    case 'BYTES':
      return JSON.stringify(data)
    case 'BOOL':
      return `[${Array.from(data as Uint8Array, (v) => (v ? 'true' : 'false')).join(',')}]`
    case 'FP16':
      return `[${Array.from(data as Uint16Array, (v) => finiteOrNull(fromHalf(v))).join(',')}]`
    case 'FP32':
    case 'FP64':
      return `[${Array.from(data as Float32Array, finiteOrNull).join(',')}]`
    default:
      return `[${(data as Exclude<TensorValues, string[]>).join(',')}]`
  }
}

// JSON has no NaN or Infinity: a model that outputs them gets null in their place.
const finiteOrNull = (v: number) => (Number.isFinite(v) ? String(v) : 'null')

export function binaryData({ datatype, data }: TensorData): Uint8Array {
  if (datatype !== 'BYTES') {
    const view = data as Exclude<TensorValues, string[]>
    const width = DATATYPES[datatype].bytes
    return new Uint8Array(view.buffer, view.byteOffset, view.length * width)
  }
  const encoded = (data as string[]).map((s) => textEncoder.encode(s))
  const out = new Uint8Array(encoded.reduce((sum, bytes) => sum + 4 + bytes.length, 0))
  const view = new DataView(out.buffer)
  let offset = 0
  for (const bytes of encoded) {
    view.setUint32(offset, bytes.length, true)
    out.set(bytes, offset + 4)
    offset += 4 + bytes.length
  }
  return out
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
