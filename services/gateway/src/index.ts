export { createGatewayApp, type GatewayApp, type GatewayDeps } from './app/index.ts'
export {
  type GatewayConfig,
  GatewayConfigError,
  type GatewayConfigFile,
  gatewayConfigSchema,
  parseGatewayConfig,
  validateGatewayConfig,
} from './config/index.ts'
export type { ModelVersionRef, RegistrySync } from './registry/index.ts'
