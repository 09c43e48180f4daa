import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { limitBody } from '../../../shared/body-limit/index.ts'
import { globalTimers, type Timers } from '../../../shared/poll/index.ts'
import type { Tracer } from '../../../shared/tracing/index.ts'
import { accessLog } from '../access-log/index.ts'
import {
  authGuard,
  createAuthenticator,
  createMetricsGuard,
  METRICS_PATH,
  refuse,
} from '../auth/index.ts'
import type { GatewayConfig, RouteConfig } from '../config/index.ts'
import { fail, type GatewayEnv } from '../context/index.ts'
import { refuseStatsWithoutAdmin, serveDiscovery } from '../discovery/index.ts'
import {
  BREAKER_STATE_VALUE,
  createGatewayMetrics,
  METRICS_CONTENT_TYPE,
} from '../metrics/index.ts'
import { proxy } from '../proxy/index.ts'
import { MemoryRateLimitStore, type RateLimitStore, rateLimit } from '../ratelimit/index.ts'
import { RegistryFollower, type RegistrySync } from '../registry/index.ts'
import { RoutingTable } from '../routing/index.ts'
import { type Send, sendWithFetch, TargetPool } from '../upstream/index.ts'

export interface GatewayDeps {
  /** Fetches JWKS, and reaches upstreams unless `send` is given. */
  fetch?: typeof fetch
  /** Reaches upstreams: model servers, shadows, health checks. */
  send?: Send
  rateLimitStore?: RateLimitStore
  /** Milliseconds since the epoch. */
  now?: () => number
  /** Uniform in [0, 1): variant weights, shadow sampling, retry jitter. */
  random?: () => number
  log?: (line: Record<string, unknown>) => void
  /** Drives the health check and registry poll loops. */
  timers?: Timers
  /** Given when tracing is on (see services/shared/tracing): spans for each request's steps. */
  tracer?: Tracer
}

export interface GatewayApp extends Hono<GatewayEnv> {
  /** The active health check loop, when `health_checks` is configured. */
  readonly healthChecks: { start(): void; stop(): Promise<void>; checkNow(): Promise<void> }
  /** The routes in force. */
  getRoutes(): readonly RouteConfig[]
  /**
   * Replaces the routes while serving (a canary's weight moving, say): validated like the config
   * file's, in force for the next request. Throws GatewayConfigError naming a bad key.
   */
  setRoutes(routes: unknown): void
  /**
   * The registry poll loop, when `registry` is configured; start and stop do nothing without. Stop
   * resolves once a sync under way has finished.
   */
  readonly registryFollower: { start(): void; stop(): Promise<void> }
  /**
   * Reads the registry once now and applies the routes it implies; never rejects for the
   * registry's sake (an unreachable one resolves `ok: false`, routes kept). Rejects when the
   * config has no `registry`.
   */
  syncRegistry(): Promise<RegistrySync>
  /**
   * Takes readiness away for good (`/v2/health/ready` answers 503) while requests go on being
   * served: an adapter calls it as shutdown starts, so load balancers stop sending first.
   */
  drain(): void
}

const EXPOSED_HEADERS = [
  'x-request-id',
  'x-infera-variant',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Retry-After',
]

/**
 * The gateway: each concern's middleware in the order a request meets them — access log, CORS,
 * auth, rate limit, body limit — then the gateway's own routes, the discovery endpoints, and the
 * proxy for every model path.
 */
export function createGatewayApp(config: GatewayConfig, deps: GatewayDeps = {}): GatewayApp {
  // Called through a wrapper: Workers throw 'Illegal invocation' on a detached global fetch.
  const upstreamFetch = deps.fetch ?? ((input, init) => fetch(input, init))
  const send = deps.send ?? sendWithFetch(upstreamFetch)
  const maxResponseBytes = config.limits.max_response_bytes
  const now = deps.now ?? Date.now
  const random = deps.random ?? Math.random
  const log = deps.log ?? ((line) => console.log(JSON.stringify(line)))
  const timers = deps.timers ?? globalTimers
  const metrics = createGatewayMetrics()
  const mayReadMetrics = createMetricsGuard(config.auth, config.metrics)

  const checks = config.health_checks
  const pool = new TargetPool({
    breaker: { failures: config.breaker.failures, openMs: config.breaker.open_ms },
    healthChecks: checks && {
      path: checks.path,
      intervalMs: checks.interval_ms,
      unhealthyAfter: checks.unhealthy_after,
      healthyAfter: checks.healthy_after,
      timeoutMs: checks.timeout_ms,
    },
    send,
    now,
    timers,
    onBreakerChange: (target, state) => {
      metrics.breakerState.set({ target }, BREAKER_STATE_VALUE[state])
      log({ event: 'breaker', target, state })
    },
    onHealthChange: (target, healthy) => {
      metrics.upstreamHealthy.set({ target }, healthy ? 1 : 0)
      log({ event: 'health', target, healthy })
    },
  })
  const table = new RoutingTable(config.routes, { pool, metrics, log })

  const registry = config.registry
  const follower =
    registry &&
    new RegistryFollower({
      config: registry,
      send,
      timers,
      fileRoutes: config.routes,
      getRoutes: table.getRoutes,
      setRoutes: table.setRoutes,
      onSync: (result) => {
        metrics.registrySyncs.inc({ follower: 'gateway', result: result.ok ? 'ok' : 'error' })
        if (!result.ok) {
          log({ event: 'registry_error', registry: registry.url, error: result.error })
        } else if (result.pending.length > 0) {
          // Each poll while a version loads (or fails to): its model's traffic stays where it was.
          log({ event: 'registry_pending', versions: result.pending })
        }
      },
    })

  let draining = false
  const app = new Hono<GatewayEnv>()

  app.use(accessLog({ metrics, log, now, ...(deps.tracer && { tracer: deps.tracer }) }))
  if (config.cors) {
    const { origins, methods, headers, expose_headers, max_age, credentials } = config.cors
    app.use(
      cors({
        origin: origins.includes('*') ? '*' : origins,
        allowMethods: methods,
        allowHeaders: headers,
        exposeHeaders: [...EXPOSED_HEADERS, ...expose_headers],
        ...(max_age !== undefined && { maxAge: max_age }),
        credentials,
      }),
    )
  }
  app.use(authGuard(config.auth, createAuthenticator(config.auth, { fetch: upstreamFetch, now })))
  if (config.rate_limits) {
    app.use(
      rateLimit({
        config: config.rate_limits,
        store: deps.rateLimitStore ?? new MemoryRateLimitStore(),
        metrics,
        log,
        timers,
        now,
      }),
    )
  }
  app.use(limitBody(config.limits.max_body_bytes))

  app.get(METRICS_PATH, async (c) => {
    const access = await mayReadMetrics(c.req.raw)
    if (!access.ok) return refuse(c, access)
    // An open breaker turns half-open with time alone; asking each for its state reports that.
    for (const target of pool.targets()) pool.breaker(target).state()
    return c.body(metrics.registry.expose(), 200, { 'content-type': METRICS_CONTENT_TYPE })
  })
  app.get('/v2/health/live', (c) => c.json({ live: true }))
  app.get('/v2/health/ready', (c) => {
    const isReady = !draining && table.ready()
    return c.json({ ready: isReady }, isReady ? 200 : 503)
  })
  serveDiscovery(app, { table, pool, send, maxResponseBytes, log })
  const proxyRequest = proxy({
    table,
    pool,
    send,
    metrics,
    log,
    maxResponseBytes,
    breakerOpenMs: config.breaker.open_ms,
    now,
    random,
  })
  app.all('*', (c) => refuseStatsWithoutAdmin(c) ?? proxyRequest(c))

  app.onError((error, c) => {
    log({ event: 'error', request_id: c.get('requestId'), error: String(error) })
    return fail(c, 500, 'internal gateway error')
  })

  return Object.assign(app, {
    getRoutes: table.getRoutes,
    setRoutes: table.setRoutes,
    registryFollower: {
      start: () => follower?.start(),
      stop: async () => follower?.stop(),
    },
    syncRegistry: async () => {
      if (!follower) throw new Error('the gateway config has no registry to follow')
      return follower.sync()
    },
    healthChecks: {
      start: () => pool.start(),
      stop: () => pool.stop(),
      checkNow: () => pool.checkNow(),
    },
    drain: () => {
      draining = true
    },
  })
}
