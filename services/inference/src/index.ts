// The inference service's public surface: what its adapters, the CLI and tests import. The wiring
// is in service.ts; the Node server in adapter/node, which imports this file.
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
export { createInferenceService, type InferenceSetup } from './service.ts'
