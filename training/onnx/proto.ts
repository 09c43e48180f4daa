import onnxProto from 'onnx-proto'

// onnx-proto is CommonJS whose exports Node's ESM loader cannot detect: only the default import works.
export const { onnx } = onnxProto
export type { onnx as Onnx } from 'onnx-proto'
