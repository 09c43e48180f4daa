import {
  type GatewayConfigFile,
  validateGatewayConfig,
} from '../../services/gateway/src/config/index.ts'
import type { PlatformConfig } from '../config/index.ts'

/** Paths the gateway serves without credentials: the load balancer's and the kubelet's probes. */
export const OPEN_PATHS = ['/v2/health/live', '/v2/health/ready']
/** The tenant Prometheus scrapes `/metrics` as: it may call no model. */
export const METRICS_TENANT = 'prometheus'

export interface GatewayConfigArgs {
  gateway: PlatformConfig['gateway']
  /** Model name → the inference Service that serves it: the models outside the registry. */
  upstreams: Record<string, string>
  /** The model registry, and the inference Services that follow it (serving all its models). */
  registry: { url: string; targets: string[] }
  /** SHA-256 (hex) of the key Prometheus scrapes with. */
  metricsKeySha256: string
}

/**
 * The gateway's config file: routes from the registry's production and canary aliases to the
 * Services following it, one route per other model to its group's Service, the stack's auth and
 * rate limits, and `/metrics` closed to the internet (the gateway sits behind a public NLB), open
 * to Prometheus's key. Validated by the gateway's own schema, so what is deployed is what it reads.
 */
export function buildGatewayConfig(args: GatewayConfigArgs) {
  const { gateway } = args
  const config = {
    routes: Object.entries(args.upstreams).map(([model, target]) => ({
      model,
      variants: [{ name: 'stable', weight: 100, targets: [target] }],
    })),
    registry: args.registry,
    auth: {
      ...gateway.auth,
      api_keys: [
        ...(gateway.auth.api_keys ?? []),
        { tenant: METRICS_TENANT, sha256: args.metricsKeySha256, models: [] },
      ],
      open_paths: OPEN_PATHS,
    },
    ...(gateway.rateLimits ? { rate_limits: gateway.rateLimits } : {}),
    health_checks: { path: '/v2/health/ready' },
  } satisfies GatewayConfigFile
  validateGatewayConfig(config, 'the generated gateway config')
  return config
}
