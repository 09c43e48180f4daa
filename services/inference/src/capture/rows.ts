import type { ModelConfig } from '../config/index.ts'
import { predictionOf } from '../model/prediction.ts'
import { rowValues, type TensorData } from '../tensor/index.ts'

/** One captured prediction: a flat row of named features and outputs, as the drift service reads it. */
export interface CaptureRow {
  ts: string
  request_id: string
  model: string
  version: string
  features: Record<string, unknown>
  outputs: Record<string, unknown>
  /** The predicted class label, or the value of a single-valued regression output. */
  prediction?: unknown
  /** Inputs too wide to capture (over MAX_CAPTURED_VECTOR values a row), with their widths. */
  omitted?: Record<string, number>
  /** The request's OpenTelemetry trace, when it was traced: from a row to its trace. */
  trace_id?: string
}

/** Tensors up to this wide are tabular: one feature per value. Wider outputs are left out. */
const MAX_CAPTURED_COLUMNS = 256
/**
 * A wider input, or one the config lists in `embeddings`, is captured whole as one vector feature
 * (an array) up to this many values a row: the drift service's bound on embedding width. Wider
 * inputs (images) are left out, and each row names them in `omitted`.
 */
export const MAX_CAPTURED_VECTOR = 4096
/**
 * A captured string (a BYTES value, a label) keeps at most this many UTF-8 bytes and ends with
 * TRUNCATED_MARK when cut, so one request can't write megabytes into every capture row.
 */
export const MAX_CAPTURED_VALUE_BYTES = 1024
export const TRUNCATED_MARK = '…[truncated]'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** `value` cut to MAX_CAPTURED_VALUE_BYTES of UTF-8 (never inside a character), marked when cut. */
export function boundedValue(value: unknown): unknown {
  // Three UTF-8 bytes per UTF-16 unit at most: short strings skip the encoding.
  if (typeof value !== 'string' || value.length * 3 <= MAX_CAPTURED_VALUE_BYTES) return value
  const bytes = encoder.encode(value)
  if (bytes.length <= MAX_CAPTURED_VALUE_BYTES) return value
  let end = MAX_CAPTURED_VALUE_BYTES
  while (((bytes[end] as number) & 0xc0) === 0x80) end-- // back off a continuation byte
  return decoder.decode(bytes.subarray(0, end)) + TRUNCATED_MARK
}

interface RowSource {
  model: string
  version: string
  config: ModelConfig
  requestId: string
  traceId?: string
  inputs: TensorData[]
  outputs: TensorData[]
}

export function toCaptureRows(source: RowSource): CaptureRow[] {
  const ts = new Date().toISOString()
  const rows = source.inputs[0]?.shape[0] ?? 1
  const omitted: Record<string, number> = {}
  const inputs = source.inputs.map((t) => {
    const embedding = source.config.embeddings.includes(t.name)
    const width = widthOf(t)
    if (!embedding && width <= MAX_CAPTURED_COLUMNS)
      return columns(t, source.config.features[t.name])
    if (width <= MAX_CAPTURED_VECTOR && t.datatype !== 'BYTES' && t.datatype !== 'BOOL')
      return vector(t)
    omitted[t.name] = width
    return undefined
  })
  const outputs = source.outputs.map((t) =>
    widthOf(t) <= MAX_CAPTURED_COLUMNS ? columns(t, undefined) : undefined,
  )
  const anyOmitted = Object.keys(omitted).length > 0
  return Array.from({ length: rows }, (_, r) => {
    const features: Record<string, unknown> = {}
    for (const input of inputs) input?.(r, features)
    const outputValues: Record<string, unknown> = {}
    for (const output of outputs) output?.(r, outputValues)
    const row: CaptureRow = {
      ts,
      request_id: source.requestId,
      model: source.model,
      version: source.version,
      features,
      outputs: outputValues,
    }
    const prediction = predictionOf(source.config, source.outputs, r)
    if (prediction !== undefined) row.prediction = boundedValue(prediction)
    if (anyOmitted) row.omitted = omitted
    if (source.traceId !== undefined) row.trace_id = source.traceId
    return row
  })
}

const widthOf = (tensor: TensorData) =>
  tensor.shape.length <= 1 ? 1 : (tensor.shape.slice(1).reduce((a, b) => a * b, 1) as number)

/** A writer of row r's values as named features. */
function columns(tensor: TensorData, names: string[] | undefined) {
  const width = widthOf(tensor)
  const keys =
    names ??
    (width === 1 ? [tensor.name] : Array.from({ length: width }, (_, j) => `${tensor.name}_${j}`))
  return (r: number, into: Record<string, unknown>) => {
    const values = rowValues(tensor, r)
    keys.forEach((key, j) => {
      into[key] = boundedValue(values[j])
    })
  }
}

/** A writer of row r's values as one vector feature named after the tensor. */
const vector = (tensor: TensorData) => (r: number, into: Record<string, unknown>) => {
  into[tensor.name] = rowValues(tensor, r)
}
