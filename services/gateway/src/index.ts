// The gateway's public surface: what its adapters (node, deno, workers), the CLI and tests
// import. The wiring is in service.ts; each adapter imports this file.
export { createGatewayApp, type GatewayApp, type GatewayDeps } from './app/index.ts'
export { hashApiKey, METRICS_PATH } from './auth/index.ts'
export {
  type GatewayConfig,
  GatewayConfigError,
  type GatewayConfigFile,
  gatewayConfigSchema,
  parseGatewayConfig,
  validateGatewayConfig,
} from './config/index.ts'
export { MemoryRateLimitStore, type RateLimitStore } from './ratelimit/index.ts'
export type { ModelVersionRef, RegistrySync } from './registry/index.ts'
export { createGateway } from './service.ts'
