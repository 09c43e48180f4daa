import { Counter, Gauge, Histogram, Registry } from './registry.ts'

// Seconds, from 5ms to 30s: a proxied inference spans network hops and model compute.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export const BREAKER_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const

/** Every metric the gateway exports, on a registry of its own. */
export function createGatewayMetrics() {
  const registry = new Registry()
  return {
    registry,
    requests: registry.register(
      new Counter(
        'infera_gateway_requests_total',
        'Requests by route, tenant, variant and status.',
        ['route', 'tenant', 'variant', 'status'],
      ),
    ),
    requestDuration: registry.register(
      new Histogram(
        'infera_gateway_request_duration_seconds',
        'Time from receiving a request to answering it.',
        ['route', 'variant'],
        LATENCY_BUCKETS,
      ),
    ),
    upstreamDuration: registry.register(
      new Histogram(
        'infera_gateway_upstream_duration_seconds',
        'Time the upstream took to send response headers, per attempt.',
        ['route', 'variant'],
        LATENCY_BUCKETS,
      ),
    ),
    rateLimited: registry.register(
      new Counter('infera_gateway_rate_limited_total', 'Requests refused with 429.', ['tenant']),
    ),
    rateLimitErrors: registry.register(
      new Counter(
        'infera_gateway_rate_limit_errors_total',
        'Rate limit checks the store failed or answered too late; the request was let through, or refused with 503 under failure_mode_deny.',
        [],
      ),
    ),
    retries: registry.register(
      new Counter('infera_gateway_retries_total', 'Attempts sent again to another target.', [
        'route',
      ]),
    ),
    breakerState: registry.register(
      new Gauge(
        'infera_gateway_breaker_state',
        'Circuit breaker of each target: 0 closed, 1 half-open, 2 open.',
        ['target'],
      ),
    ),
    shadowRequests: registry.register(
      new Counter('infera_gateway_shadow_requests_total', 'Requests mirrored to shadow targets.', [
        'route',
      ]),
    ),
    shadowDisagreements: registry.register(
      new Counter(
        'infera_gateway_shadow_disagreements_total',
        'Shadow responses whose outputs differ from the primary response.',
        ['route'],
      ),
    ),
    shadowDuration: registry.register(
      new Histogram(
        'infera_gateway_shadow_duration_seconds',
        'Time a shadow target took to answer in full.',
        ['route'],
        LATENCY_BUCKETS,
      ),
    ),
    registrySyncs: registry.register(
      new Counter(
        // One name for every service following the registry, told apart by `follower`.
        'infera_registry_syncs_total',
        'Reads of the model registry by the gateway, by result: ok, or error (routes kept as they were).',
        ['follower', 'result'],
      ),
    ),
    routeWeight: registry.register(
      new Gauge(
        'infera_gateway_route_weight',
        'Percent of its route traffic each variant in force takes; version is the one it is pinned to.',
        ['route', 'variant', 'version'],
      ),
    ),
    // Joins the per-target series (breakers, health) to the routes and variants a target serves.
    routeTargetInfo: registry.register(
      new Gauge(
        'infera_gateway_route_target_info',
        'Always 1: a target a variant of a route in force sends to.',
        ['route', 'variant', 'target'],
      ),
    ),
    upstreamHealthy: registry.register(
      new Gauge(
        'infera_gateway_upstream_healthy',
        'Active health check verdict of each target: 1 healthy, 0 unhealthy.',
        ['target'],
      ),
    ),
  }
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>
