// The registry's public surface: what its adapters, the CLI and tests import. The wiring is in
// service.ts; the Node server in adapter/node, which imports this file. Other services import
// only client/ and types.ts.

export {
  ACTOR_HEADER,
  createRegistryApp,
  MAX_JSON_BODY_BYTES,
  MAX_JSON_PART_BYTES,
  SHA256_HEADER,
} from './app/index.ts'
export {
  ArtifactError,
  type ArtifactStore,
  LocalArtifactStore,
  openArtifactStore,
} from './artifacts/index.ts'
export {
  CanaryController,
  type CanaryControllerOptions,
  type CanaryDecision,
  type CanaryMetricsSource,
  type CanaryPolicy,
  type CanaryVerdict,
  canaryPolicy,
  DEFAULT_CANARY_POLICY,
  type GatewayMetricsOptions,
  GatewayMetricsSource,
  type PrometheusMetricsOptions,
  PrometheusMetricsSource,
  type VariantCounts,
} from './canary/index.ts'
export {
  type MaterializedModel,
  materialize,
  RegistryClient,
  type RegistryClientOptions,
} from './client/index.ts'
export { DEFAULT_MARGIN, GATE_METRICS, type GateReport } from './gate/index.ts'
export * from './registry/index.ts'
export { createRegistryService, type RegistrySetup } from './service.ts'
export {
  type AliasName,
  type AuditEntry,
  type FileRef,
  type Lineage,
  openRegistryStore,
  type RegistryStore,
  type Stage,
} from './store/index.ts'
