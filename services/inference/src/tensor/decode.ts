import { badRequest } from '../errors/index.ts'
import {
  allocate,
  DATATYPES,
  type Datatype,
  INTEGER_RANGES,
  isDatatype,
  safeElementCount,
  type TensorData,
  type TensorValues,
} from './datatypes.ts'
import { toHalf } from './fp16.ts'

export interface RequestedOutput {
  name: string
  binary: boolean
  /** Triton's classification extension: return the top-k classes instead of the raw tensor. */
  classification?: number
}

export interface InferRequest {
  id?: string
  inputs: TensorData[]
  outputs?: RequestedOutput[]
  /** Request-level `binary_data_output`: the default for outputs that don't say. */
  binaryOutput: boolean
}

/**
 * What the model accepts, so a request naming more inputs or outputs than it has is refused before
 * any of them is decoded or served.
 */
export interface RequestLimits {
  inputs: number
  outputs: number
}

const MAX_RANK = 32
/** The request `id` is echoed and captured: a UUID or a trace id fits many times over. */
export const MAX_ID_LENGTH = 256
const textDecoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Parses an Open Inference Protocol infer request: a JSON body, or with the binary tensor extension
 * a JSON header of `headerLength` bytes followed by the inputs' raw data in order.
 */
export function parseInferRequest(
  body: Uint8Array,
  headerLength?: number,
  limits?: RequestLimits,
): InferRequest {
  if (headerLength !== undefined && (headerLength < 0 || headerLength > body.length)) {
    throw badRequest(
      `Inference-Header-Content-Length ${headerLength} is outside the body's ${body.length} bytes`,
    )
  }
  const header = headerLength === undefined ? body : body.subarray(0, headerLength)
  const json = parseJson(decodeUtf8(header))
  return decodeRequest(
    json,
    headerLength === undefined ? undefined : body.subarray(headerLength),
    limits,
  )
}

/** Parses an infer request that is plain JSON text (no binary tensor data). */
export const parseInferJson = (text: string, limits?: RequestLimits): InferRequest =>
  decodeRequest(parseJson(text), undefined, limits)

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return textDecoder.decode(bytes)
  } catch {
    throw badRequest('request body is not valid UTF-8')
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    // Python's json.dumps writes NaN and Infinity, which JSON does not allow: say so plainly.
    const hint = /\b(NaN|-?Infinity)\b/.test(text)
      ? ' (NaN and Infinity are not valid JSON numbers)'
      : ''
    throw badRequest(`request body is not valid JSON: ${(error as Error).message}${hint}`)
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function decodeRequest(
  json: unknown,
  binary: Uint8Array | undefined,
  limits: RequestLimits | undefined,
): InferRequest {
  if (!isObject(json)) throw badRequest('request body must be a JSON object')
  const { id, inputs, outputs, parameters } = json
  if (id !== undefined && typeof id !== 'string') throw badRequest("'id' must be a string")
  if (id !== undefined && id.length > MAX_ID_LENGTH) {
    throw badRequest(`'id' is ${id.length} characters long; at most ${MAX_ID_LENGTH} are accepted`)
  }
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw badRequest("'inputs' must be a non-empty array")
  }
  if (limits && inputs.length > limits.inputs) {
    throw badRequest(`'inputs' has ${inputs.length} entries; the model has ${limits.inputs} inputs`)
  }
  if (limits && Array.isArray(outputs) && outputs.length > limits.outputs) {
    throw badRequest(
      `'outputs' has ${outputs.length} entries; the model has ${limits.outputs} outputs`,
    )
  }
  if (parameters !== undefined && !isObject(parameters)) {
    throw badRequest("'parameters' must be an object")
  }
  const binaryOutput = parameters?.binary_data_output === true
  // Names and outputs are checked before any tensor is decoded: they are cheap, tensors are not.
  const seen = new Set<unknown>()
  for (const input of inputs) {
    const name = isObject(input) ? input.name : undefined
    if (typeof name === 'string' && seen.has(name))
      throw badRequest(`input '${name}' is given more than once`)
    seen.add(name)
  }
  const requested = outputs === undefined ? undefined : decodeOutputs(outputs, binaryOutput)
  const reader = { bytes: binary ?? new Uint8Array(0), offset: 0, enabled: binary !== undefined }
  const tensors = inputs.map((input, index) => decodeInput(input, index, reader))
  if (reader.offset !== reader.bytes.length) {
    throw badRequest(
      `binary data has ${reader.bytes.length - reader.offset} bytes that no input's binary_data_size accounts for`,
    )
  }
  return {
    ...(id === undefined ? {} : { id }),
    inputs: tensors,
    ...(requested === undefined ? {} : { outputs: requested }),
    binaryOutput,
  }
}

interface BinaryReader {
  bytes: Uint8Array
  offset: number
  enabled: boolean
}

/** A shape and its element count, checked before anything is allocated for it. */
function decodeShape(shape: unknown, label: string): { dims: number[]; count: number } {
  if (!Array.isArray(shape) || shape.length > MAX_RANK) {
    throw badRequest(`${label}: 'shape' must be an array of at most ${MAX_RANK} dimensions`)
  }
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw badRequest(
        `${label}: 'shape' must contain non-negative integers, got ${JSON.stringify(dim)}`,
      )
    }
  }
  const count = safeElementCount(shape)
  if (count === undefined) throw badRequest(tooManyElements(label, shape))
  return { dims: shape as number[], count }
}

const tooManyElements = (label: string, shape: readonly number[]) =>
  `${label}: shape [${shape.join(',')}] has more elements than any request can carry`

function decodeInput(input: unknown, index: number, reader: BinaryReader): TensorData {
  if (!isObject(input)) throw badRequest(`inputs[${index}] must be an object`)
  const { name, datatype, shape, data, parameters } = input
  if (typeof name !== 'string' || name === '') {
    throw badRequest(`inputs[${index}]: 'name' must be a non-empty string`)
  }
  const label = `input '${name}'`
  if (!isDatatype(datatype)) {
    throw badRequest(
      `${label}: unknown datatype ${JSON.stringify(datatype)}; expected one of ${Object.keys(DATATYPES).join(', ')}`,
    )
  }
  const { dims, count } = decodeShape(shape, label)
  const binarySize = isObject(parameters) ? parameters.binary_data_size : undefined
  if (binarySize !== undefined) {
    if (!reader.enabled) {
      throw badRequest(
        `${label} has binary_data_size but the request has no Inference-Header-Content-Length`,
      )
    }
    if (!Number.isSafeInteger(binarySize) || (binarySize as number) < 0) {
      throw badRequest(`${label}: binary_data_size must be a non-negative integer`)
    }
    const size = binarySize as number
    if (reader.offset + size > reader.bytes.length) {
      throw badRequest(`${label}: binary_data_size ${size} runs past the end of the body`)
    }
    const bytes = reader.bytes.subarray(reader.offset, reader.offset + size)
    reader.offset += size
    return { name, datatype, shape: dims, data: decodeBinary(bytes, datatype, count, label) }
  }
  if (data === undefined) throw badRequest(`${label} has no 'data'`)
  return { name, datatype, shape: dims, data: valuesFromJson(label, datatype, dims, data) }
}

/**
 * Checks flat or nested JSON data against a datatype and shape and packs it into a typed array.
 * The data's elements are counted first and the array is sized by them, so the memory a request
 * costs is bounded by its body, whatever its shape claims.
 */
export function valuesFromJson(
  label: string,
  datatype: Datatype,
  shape: number[],
  data: unknown,
): TensorValues {
  const count = safeElementCount(shape)
  if (count === undefined) throw badRequest(tooManyElements(label, shape))
  const given = countElements(Array.isArray(data) ? data : [data], 1, label)
  if (given !== count) {
    throw badRequest(
      `${label}: shape [${shape.join(',')}] needs ${count} elements but 'data' has ${given}`,
    )
  }
  const values = allocate(datatype, count)
  fillFromJson(Array.isArray(data) ? data : [data], values, datatype, 0, label)
  return values
}

/** The scalars in nested JSON arrays (a scalar at the top counts as one). */
function countElements(data: unknown[], depth: number, label: string): number {
  if (depth > MAX_RANK)
    throw badRequest(`${label}: 'data' is nested deeper than ${MAX_RANK} levels`)
  let count = 0
  for (const value of data)
    count += Array.isArray(value) ? countElements(value, depth + 1, label) : 1
  return count
}

/** Writes nested or flat JSON data into `out` from `offset`, checking every element; returns the new offset. */
function fillFromJson(
  data: unknown[],
  out: TensorValues,
  datatype: Datatype,
  offset: number,
  label: string,
): number {
  let position = offset
  for (const value of data) {
    if (Array.isArray(value)) {
      position = fillFromJson(value, out, datatype, position, label)
      continue
    }
    out[position] = convertElement(value, datatype, position, label) as never
    position++
  }
  return position
}

function convertElement(value: unknown, datatype: Datatype, index: number, label: string) {
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      if (typeof value === 'number') return value
      break
    case 'FP16':
      if (typeof value === 'number') return toHalf(value)
      break
    case 'BOOL':
      if (typeof value === 'boolean') return value ? 1 : 0
      break
    case 'BYTES':
      if (typeof value === 'string') return value
      break
    default: {
      const range = INTEGER_RANGES[datatype]
      if (range && Number.isInteger(value)) {
        const n = value as number
        if (n < range[0] || n > range[1]) {
          throw badRequest(`${label}: element ${index} (${n}) is out of range for ${datatype}`)
        }
        return datatype === 'INT64' || datatype === 'UINT64' ? BigInt(n) : n
      }
    }
  }
  throw badRequest(
    `${label}: element ${index} is ${JSON.stringify(value) ?? 'undefined'}, not a valid ${datatype}`,
  )
}

function decodeBinary(bytes: Uint8Array, datatype: Datatype, count: number, label: string) {
  if (datatype === 'BYTES') return decodeBinaryStrings(bytes, count, label)
  const { bytes: width, array } = DATATYPES[datatype]
  if (bytes.length !== count * width) {
    throw badRequest(
      `${label}: ${count} ${datatype} elements need ${count * width} bytes of binary data, got ${bytes.length}`,
    )
  }
  // Copy so the typed array is aligned and does not pin the request body.
  const values = new array(count)
  new Uint8Array(values.buffer).set(bytes)
  return values as TensorValues
}

function decodeBinaryStrings(bytes: Uint8Array, count: number, label: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const values: string[] = []
  let offset = 0
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length) throw badRequest(`${label}: truncated BYTES length prefix`)
    const length = view.getUint32(offset, true)
    offset += 4
    if (offset + length > bytes.length)
      throw badRequest(`${label}: BYTES element runs past its data`)
    values.push(decodeUtf8(bytes.subarray(offset, offset + length)))
    offset += length
  }
  if (values.length !== count) {
    throw badRequest(
      `${label}: shape needs ${count} BYTES elements, binary data has ${values.length}`,
    )
  }
  return values
}

function decodeOutputs(outputs: unknown, binaryDefault: boolean): RequestedOutput[] {
  if (!Array.isArray(outputs)) throw badRequest("'outputs' must be an array")
  const seen = new Set<string>()
  return outputs.map((output, index) => {
    if (!isObject(output) || typeof output.name !== 'string') {
      throw badRequest(`outputs[${index}] must be an object with a string 'name'`)
    }
    if (seen.has(output.name))
      throw badRequest(`output '${output.name}' is requested more than once`)
    seen.add(output.name)
    const parameters = isObject(output.parameters) ? output.parameters : {}
    const { binary_data, classification } = parameters
    if (binary_data !== undefined && typeof binary_data !== 'boolean') {
      throw badRequest(`output '${output.name}': binary_data must be a boolean`)
    }
    if (
      classification !== undefined &&
      (!Number.isSafeInteger(classification) || (classification as number) < 1)
    ) {
      throw badRequest(`output '${output.name}': classification must be a positive integer`)
    }
    return {
      name: output.name,
      binary: binary_data ?? binaryDefault,
      ...(classification === undefined ? {} : { classification: classification as number }),
    }
  })
}
