import { type Context, Hono } from 'hono'
import { cors } from 'hono/cors'
import { requestId } from 'hono/request-id'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import { limitBody, unreadableBody } from '../../../shared/body-limit/index.ts'
import {
  allows,
  createAuthenticator,
  createMetricsGuard,
  isOpenPath,
  METRICS_PATH,
  type Principal,
} from '../auth/index.ts'
import { type GatewayConfig, type RouteConfig, validateRoutes } from '../config/index.ts'
import {
  BREAKER_STATE_VALUE,
  createGatewayMetrics,
  METRICS_CONTENT_TYPE,
} from '../metrics/index.ts'
import type { Timers } from '../poll/index.ts'
import {
  MemoryRateLimitStore,
  type RateLimitResult,
  type RateLimitStore,
  rateLimitHeaders,
  ruleFor,
} from '../ratelimit/index.ts'
import { RegistryFollower, type RegistrySync } from '../registry/index.ts'
import { chooseVariant, findRoute, RoundRobin } from '../routing/index.ts'
import { mirror } from '../shadow/index.ts'
import {
  forward,
  type Send,
  sendWithFetch,
  TargetPool,
  type UpstreamRequest,
  type UpstreamResponse,
} from '../upstream/index.ts'
import { modelFromPath, pinVersion } from './paths.ts'
import { continueTrace } from './trace.ts'

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
}

export interface GatewayApp extends Hono<GatewayEnv> {
  /** The active health check loop, when `health_checks` is configured. */
  readonly healthChecks: { start(): void; stop(): void; checkNow(): Promise<void> }
  /** The routes in force. */
  getRoutes(): readonly RouteConfig[]
  /**
   * Replaces the routes while serving (a canary's weight moving, say): validated like the config
   * file's, in force for the next request. Throws GatewayConfigError naming a bad key.
   */
  setRoutes(routes: unknown): void
  /** The registry poll loop, when `registry` is configured; start and stop do nothing without. */
  readonly registryFollower: { start(): void; stop(): void }
  /**
   * Reads the registry once now and applies the routes it implies; never rejects for the
   * registry's sake (an unreachable one resolves `ok: false`, routes kept). Rejects when the
   * config has no `registry`.
   */
  syncRegistry(): Promise<RegistrySync>
}

type GatewayEnv = {
  Variables: {
    requestId: string
    traceId: string
    traceparent: string
    principal?: Principal
    route?: string
    variant?: string
    upstream?: string
  }
}

// Request headers the model servers need; credentials stay at the gateway.
const FORWARDED_REQUEST_HEADERS = [
  'content-type',
  'accept',
  'inference-header-content-length',
  'tracestate',
]
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'inference-header-content-length',
  'retry-after',
]
const EXPOSED_HEADERS = [
  'x-request-id',
  'x-infera-variant',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Retry-After',
]

const fail = (
  c: Context,
  status: ContentfulStatusCode,
  error: string,
  headers: Record<string, string> = {},
) => c.json({ error }, status, headers)

function waitUntil(c: Context, promise: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(promise)
  } catch {
    // No execution context (Node, Deno): the promise runs on regardless, and never rejects.
  }
}

function pickHeaders(
  get: (name: string) => string | null | undefined,
  names: readonly string[],
): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const name of names) {
    const value = get(name)
    if (value != null) headers[name] = value
  }
  return headers
}

/** The gateway: auth, rate limits, routing to weighted variants, resilient proxying, shadowing. */
export function createGatewayApp(config: GatewayConfig, deps: GatewayDeps = {}): GatewayApp {
  // Called through a wrapper: Workers throw 'Illegal invocation' on a detached global fetch.
  const upstreamFetch = deps.fetch ?? ((input, init) => fetch(input, init))
  const send = deps.send ?? sendWithFetch(upstreamFetch)
  const maxResponseBytes = config.limits.max_response_bytes
  const now = deps.now ?? Date.now
  const random = deps.random ?? Math.random
  const log = deps.log ?? ((line) => console.log(JSON.stringify(line)))
  const rateLimitStore = deps.rateLimitStore ?? new MemoryRateLimitStore()
  const metrics = createGatewayMetrics()
  const authenticate = createAuthenticator(config.auth, { fetch: upstreamFetch, now })
  const mayReadMetrics = createMetricsGuard(config.auth, config.metrics)
  const roundRobin = new RoundRobin()

  let routes: readonly RouteConfig[] = []
  const checks = config.health_checks
  const timers = deps.timers ?? {
    setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  }
  // Every target any route has named: breakers, health checks and their metrics outlive a route.
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
  const applyRoutes = (next: readonly RouteConfig[]) => {
    for (const target of next.flatMap((route) => route.variants.flatMap((v) => v.targets))) {
      if (!pool.add(target)) continue
      metrics.breakerState.set({ target }, BREAKER_STATE_VALUE.closed)
      metrics.upstreamHealthy.set({ target }, 1)
    }
    // Reset, so the variants of replaced routes leave the exposition.
    metrics.routeWeight.reset()
    for (const route of next) {
      for (const { name, version = '', weight } of route.variants) {
        metrics.routeWeight.set({ route: route.model, variant: name, version }, weight)
      }
    }
    routes = next
  }
  applyRoutes(config.routes)
  const setRoutes = (next: unknown) => {
    const validated = validateRoutes(next, 'routes')
    applyRoutes(validated)
    log({ event: 'routes', routes: validated.map((route) => route.model) })
  }

  const registry = config.registry
  const follower =
    registry &&
    new RegistryFollower({
      config: registry,
      send,
      timers,
      fileRoutes: config.routes,
      getRoutes: () => routes,
      setRoutes,
      onSync: (result) => {
        metrics.registrySyncs.inc({ result: result.ok ? 'ok' : 'error' })
        if (!result.ok) {
          log({ event: 'registry_error', registry: registry.url, error: result.error })
        } else if (result.pending.length > 0) {
          // Each poll while a version loads (or fails to): its model's traffic stays where it was.
          log({ event: 'registry_pending', versions: result.pending })
        }
      },
    })

  const ready = () =>
    routes.every((route) =>
      route.variants.some((variant) => variant.targets.some((target) => pool.ready(target))),
    )

  const app = new Hono<GatewayEnv>()

  app.use(requestId())

  // Outermost after the id: logs and counts every request, rejections included.
  app.use(async (c, next) => {
    const started = now()
    const trace = continueTrace(c.req.header('traceparent'))
    c.set('traceId', trace.traceId)
    c.set('traceparent', trace.traceparent)
    await next()
    const elapsedMs = now() - started
    // c.get, not c.var: hono builds a fresh object of every variable on each c.var access.
    const tenant = c.get('principal')?.tenant ?? ''
    const route = c.get('route') ?? ''
    const variant = c.get('variant') ?? ''
    const status = c.res.status
    metrics.requests.inc({ route, tenant, variant, status: String(status) })
    metrics.requestDuration.observe({ route, variant }, elapsedMs / 1000)
    log({
      event: 'access',
      method: c.req.method,
      path: c.req.path,
      status,
      duration_ms: elapsedMs,
      tenant,
      route,
      variant,
      upstream: c.get('upstream') ?? '',
      request_id: c.get('requestId'),
      trace_id: c.get('traceId'),
    })
  })

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

  // Auth and the rate limit look at headers only: nothing reads a body before both have passed.
  app.use(async (c, next) => {
    // /metrics has credentials of its own (scrape tokens), checked by its route.
    if (isOpenPath(config.auth, c.req.path) || c.req.path === METRICS_PATH) return next()
    const result = await authenticate(c.req.raw)
    if (!result.ok) {
      const challenge: Record<string, string> =
        result.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}
      return fail(c, result.status, result.error, challenge)
    }
    c.set('principal', { tenant: result.tenant, models: result.models })
    return next()
  })

  const rateLimits = config.rate_limits
  if (rateLimits) {
    // From 0, so an alert on its rate sees the first failure.
    metrics.rateLimitErrors.inc({}, 0)
    app.use(async (c, next) => {
      const tenant = c.get('principal')?.tenant
      if (tenant === undefined) return next()
      const result = await takeToken(tenant)
      if (result === undefined) {
        if (!rateLimits.failure_mode_deny) return next()
        return fail(c, 503, 'the rate limiter is unavailable', { 'Retry-After': '1' })
      }
      const headers = rateLimitHeaders(result)
      if (!result.allowed) {
        metrics.rateLimited.inc({ tenant })
        return fail(c, 429, `rate limit exceeded for tenant ${tenant}`, headers)
      }
      await next()
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value)
    })
  }

  app.use(limitBody(config.limits.max_body_bytes))

  app.get(METRICS_PATH, async (c) => {
    const access = await mayReadMetrics(c.req.raw)
    if (!access.ok) {
      const challenge: Record<string, string> =
        access.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}
      return fail(c, access.status, access.error, challenge)
    }
    // An open breaker turns half-open with time alone; asking each for its state reports that.
    for (const target of pool.targets()) pool.breaker(target).state()
    return c.body(metrics.registry.expose(), 200, { 'content-type': METRICS_CONTENT_TYPE })
  })
  app.get('/v2/health/live', (c) => c.json({ live: true }))
  app.get('/v2/health/ready', (c) => {
    const isReady = ready()
    return c.json({ ready: isReady }, isReady ? 200 : 503)
  })

  app.all('*', async (c) => {
    const model = modelFromPath(c.req.path)
    if (model === undefined) return fail(c, 404, `no model in path ${c.req.path}`)
    const route = findRoute(routes, model)
    if (!route) return fail(c, 404, `no route for model ${model}`)
    c.set('route', route.model)
    const principal = c.get('principal')
    if (principal && !allows(principal, model)) {
      return fail(c, 403, `tenant ${principal.tenant} may not use model ${model}`)
    }
    const stickyKey = route.sticky && c.req.header(route.sticky.header)
    const variant = chooseVariant(route.variants, random, stickyKey)
    c.set('variant', variant.name)

    let body: ArrayBuffer | undefined
    try {
      body =
        c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : await c.req.arrayBuffer()
    } catch (error) {
      return unreadableBody(c, error)
    }
    const request = upstreamRequest(c, variant.version, body)
    const primary = forward(request, {
      candidates: roundRobin.order(`${route.model}\n${variant.name}`, variant.targets, pool),
      breaker: (target) => pool.breaker(target),
      timeoutMs: route.timeout_ms,
      retries: route.retries,
      maxResponseBytes,
      send,
      now,
      random,
      onAttempt: (_target, seconds) =>
        metrics.upstreamDuration.observe({ route: route.model, variant: variant.name }, seconds),
      onRetry: () => metrics.retries.inc({ route: route.model }),
    })
    if (route.shadow && request.body !== undefined && random() < route.shadow.sample) {
      const primaryResponse = primary.then((r) =>
        r.ok && r.response.status < 300 ? r.response : undefined,
      )
      waitUntil(c, shadow(route, route.shadow.targets, request, primaryResponse))
    }

    const result = await primary
    if (result.target) c.set('upstream', result.target)
    if (!result.ok) {
      const retryAfter: Record<string, string> =
        result.status === 503
          ? { 'Retry-After': String(Math.ceil(config.breaker.open_ms / 1000)) }
          : {}
      return fail(c, result.status, result.error, retryAfter)
    }
    const response = result.response
    const headers = pickHeaders((name) => response.headers.get(name), FORWARDED_RESPONSE_HEADERS)
    headers['x-infera-variant'] = variant.name
    // newResponse, not new Response: it keeps headers set earlier on the context (x-request-id).
    return c.newResponse(response.body, {
      status: response.status as StatusCode,
      headers,
    })
  })

  app.onError((error, c) => {
    log({ event: 'error', request_id: c.get('requestId'), error: String(error) })
    return fail(c, 500, 'internal gateway error')
  })

  function upstreamRequest(
    c: Context<GatewayEnv>,
    version: string | undefined,
    body: ArrayBuffer | undefined,
  ): UpstreamRequest {
    const headers = pickHeaders((name) => c.req.header(name), FORWARDED_REQUEST_HEADERS)
    headers['x-request-id'] = c.get('requestId')
    headers.traceparent = c.get('traceparent')
    const url = new URL(c.req.url)
    return {
      method: c.req.method,
      pathAndQuery: `${version ? pinVersion(url.pathname, version) : url.pathname}${url.search}`,
      headers,
      body,
    }
  }

  /**
   * One token from the tenant's bucket, or undefined when the store failed or took longer than
   * `timeout_ms` (Redis down or stalled): counted, and logged when failing starts and stops.
   */
  let storeFailing = false
  async function takeToken(tenant: string): Promise<RateLimitResult | undefined> {
    if (!rateLimits) return undefined
    const timeoutMs = rateLimits.timeout_ms
    let timer: unknown
    const timeout = new Promise<never>((_, reject) => {
      timer = timers.setTimeout(
        () => reject(new Error(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    try {
      const result = await Promise.race([
        rateLimitStore.take(tenant, ruleFor(rateLimits, tenant), now()),
        timeout,
      ])
      if (storeFailing) log({ event: 'rate_limit_store', ok: true })
      storeFailing = false
      return result
    } catch (error) {
      metrics.rateLimitErrors.inc({})
      if (!storeFailing) log({ event: 'rate_limit_store', ok: false, error: String(error) })
      storeFailing = true
      return undefined
    } finally {
      timers.clearTimeout(timer)
    }
  }

  function shadow(
    route: RouteConfig,
    shadowTargets: readonly string[],
    request: UpstreamRequest,
    primaryResponse: Promise<UpstreamResponse | undefined>,
  ): Promise<void> {
    metrics.shadowRequests.inc({ route: route.model })
    return mirror(request, primaryResponse, {
      targets: shadowTargets,
      send,
      maxResponseBytes,
      now,
      random,
      timeoutMs: route.timeout_ms,
      onResult: ({ seconds, disagrees }) => {
        metrics.shadowDuration.observe({ route: route.model }, seconds)
        if (disagrees) metrics.shadowDisagreements.inc({ route: route.model })
      },
      onError: (error) => log({ event: 'shadow_error', route: route.model, error: String(error) }),
    })
  }

  return Object.assign(app, {
    getRoutes: () => routes,
    setRoutes,
    registryFollower: {
      start: () => follower?.start(),
      stop: () => follower?.stop(),
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
  })
}
