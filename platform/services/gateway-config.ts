import {
  type GatewayConfigFile,
  validateGatewayConfig,
} from '../../services/gateway/src/config/index.ts'
import type { PlatformConfig } from '../config/index.ts'

/** Paths the gateway serves without credentials: the load balancer's and the kubelet's probes. */
export const OPEN_PATHS = ['/v2/health/live', '/v2/health/ready']
export interface GatewayConfigArgs {
  gateway: PlatformConfig['gateway']
  /** The model registry, and each model group's models with the group's inference Service. */
  registry: { url: string; groups: { models: string[]; targets: string[] }[] }
  /** SHA-256 (hex) of the key Prometheus scrapes with. */
  metricsKeySha256: string
}

/**
 * The gateway's config file: each model's routes from the registry's production and canary
 * aliases, to its own group's Service; the stack's auth and rate limits, JWTs only with an expiry;
 * and `/metrics` closed to the internet (the gateway sits behind a public NLB), open to
 * Prometheus's scrape token. Validated by the gateway's own schema, so what is deployed is what it
 * reads.
 *
 * No routes of its own and no registry `targets` (for models in no group): no group loads such a
 * model, so the gateway answers 404 `no route for model` for it rather than send it to a server.
 */
export function buildGatewayConfig(args: GatewayConfigArgs) {
  const { gateway } = args
  const config = {
    registry: args.registry,
    auth: {
      ...gateway.auth,
      // A token without `exp` would never expire.
      ...(gateway.auth.jwt ? { jwt: { ...gateway.auth.jwt, require_exp: true } } : {}),
      open_paths: OPEN_PATHS,
    },
    metrics: { sha256: [args.metricsKeySha256] },
    ...(gateway.rateLimits ? { rate_limits: gateway.rateLimits } : {}),
    health_checks: { path: '/v2/health/ready' },
  } satisfies GatewayConfigFile
  validateGatewayConfig(config, 'the generated gateway config')
  return config
}
