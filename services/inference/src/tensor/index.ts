export {
  allocate,
  DATATYPES,
  type Datatype,
  datatypeOfOrt,
  elementCount,
  isDatatype,
  safeElementCount,
  type TensorData,
  type TensorValues,
} from './datatypes.ts'
export {
  type InferRequest,
  MAX_ID_LENGTH,
  parseInferJson,
  parseInferRequest,
  parseJson,
  type RequestedOutput,
  type RequestLimits,
  valuesFromJson,
} from './decode.ts'
export {
  binaryData,
  concatBytes,
  type EncodedResponse,
  encodeInferResponse,
  type InferResponse,
  jsonData,
  type ResponseOutput,
} from './encode.ts'
export { fromHalf, toHalf } from './fp16.ts'
export { argmax, rowValues, shortestFloat32 } from './rows.ts'
