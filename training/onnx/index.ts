export {
  type Attribute,
  attr,
  GraphBuilder,
  ML_DOMAIN,
  type NodeOptions,
  OPSET_IMPORTS,
} from './graph.ts'
export {
  buildIdentityModel,
  buildMlp,
  buildTabularModel,
  type IdentityModelOptions,
  type MlpModelOptions,
  type TabularModelOptions,
} from './models.ts'
export {
  argMax,
  column,
  concat,
  dense,
  mlp,
  oneHot,
  relu,
  reshape,
  softmax,
  standardize,
} from './ops.ts'
export { type Onnx, onnx } from './proto.ts'
export {
  DATATYPE_NAMES,
  type Datatype,
  type Dim,
  ONNX_ELEMENT_TYPES,
  type TensorInit,
  tensorProto,
  valueInfo,
} from './tensor.ts'
