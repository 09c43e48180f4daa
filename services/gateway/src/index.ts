export { createGatewayApp, type GatewayApp, type GatewayDeps } from './app/index.ts'
export {
  type GatewayConfig,
  type GatewayConfigFile,
  gatewayConfigSchema,
  parseGatewayConfig,
  validateGatewayConfig,
} from './config/index.ts'
