export {
  type InferenceServer,
  type InferenceServerOptions,
  startInferenceServer,
} from './adapter/node/index.ts'
export {
  createInferenceApp,
  DEFAULT_MAX_BODY_BYTES,
  type InferenceAppOptions,
} from './app/index.ts'
export {
  type CaptureRow,
  type CaptureSink,
  JsonlCaptureSink,
  RequestCapture,
} from './capture/index.ts'
export {
  type ModelConfig,
  type ModelConfigFile,
  modelConfigSchema,
  parseModelConfig,
} from './config/index.ts'
export { RegistryFollower, type RegistryFollowerOptions } from './follow/index.ts'
export { createInferenceMetrics, type InferenceMetrics } from './metrics/index.ts'
export { ModelVersion, type TensorSpec } from './model/index.ts'
export {
  MODEL_CONTROL_MODES,
  type ModelControl,
  ModelRepository,
  type VersionStatus,
} from './repository/index.ts'
