import { type Context, Hono } from 'hono'
import { cors } from 'hono/cors'
import { requestId } from 'hono/request-id'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import { limitBody } from '../../../shared/body-limit/index.ts'
import { allows, createAuthenticator, isOpenPath, type Principal } from '../auth/index.ts'
import type { GatewayConfig, RouteConfig } from '../config/index.ts'
import {
  BREAKER_STATE_VALUE,
  createGatewayMetrics,
  METRICS_CONTENT_TYPE,
} from '../metrics/index.ts'
import {
  MemoryRateLimitStore,
  type RateLimitStore,
  rateLimitHeaders,
  ruleFor,
} from '../ratelimit/index.ts'
import { chooseVariant, findRoute, RoundRobin } from '../routing/index.ts'
import { mirror } from '../shadow/index.ts'
import { forward, TargetPool, type Timers, type UpstreamRequest } from '../upstream/index.ts'
import { modelFromPath } from './paths.ts'
import { continueTrace } from './trace.ts'

export interface GatewayDeps {
  fetch?: typeof fetch
  rateLimitStore?: RateLimitStore
  /** Milliseconds since the epoch. */
  now?: () => number
  /** Uniform in [0, 1): variant weights, shadow sampling, retry jitter. */
  random?: () => number
  log?: (line: Record<string, unknown>) => void
  /** Drives the health check loop. */
  timers?: Timers
}

export interface GatewayApp extends Hono<GatewayEnv> {
  /** The active health check loop, when `health_checks` is configured. */
  readonly healthChecks: { start(): void; stop(): void; checkNow(): Promise<void> }
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

function copyHeaders(from: Headers, names: readonly string[]): Headers {
  const headers = new Headers()
  for (const name of names) {
    const value = from.get(name)
    if (value !== null) headers.set(name, value)
  }
  return headers
}

/** The gateway: auth, rate limits, routing to weighted variants, resilient proxying, shadowing. */
export function createGatewayApp(config: GatewayConfig, deps: GatewayDeps = {}): GatewayApp {
  // Called through a wrapper: Workers throw 'Illegal invocation' on a detached global fetch.
  const upstreamFetch = deps.fetch ?? ((input, init) => fetch(input, init))
  const now = deps.now ?? Date.now
  const random = deps.random ?? Math.random
  const log = deps.log ?? ((line) => console.log(JSON.stringify(line)))
  const rateLimitStore = deps.rateLimitStore ?? new MemoryRateLimitStore()
  const metrics = createGatewayMetrics()
  const authenticate = createAuthenticator(config.auth, { fetch: upstreamFetch, now })
  const roundRobin = new RoundRobin()

  const targets = [
    ...new Set(config.routes.flatMap((route) => route.variants.flatMap((v) => v.targets))),
  ]
  const checks = config.health_checks
  const pool = new TargetPool({
    targets,
    breaker: { failures: config.breaker.failures, openMs: config.breaker.open_ms },
    healthChecks: checks && {
      path: checks.path,
      intervalMs: checks.interval_ms,
      unhealthyAfter: checks.unhealthy_after,
      healthyAfter: checks.healthy_after,
      timeoutMs: checks.timeout_ms,
    },
    fetch: upstreamFetch,
    now,
    timers: deps.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    onBreakerChange: (target, state) => {
      metrics.breakerState.set({ target }, BREAKER_STATE_VALUE[state])
      log({ event: 'breaker', target, state })
    },
    onHealthChange: (target, healthy) => {
      metrics.upstreamHealthy.set({ target }, healthy ? 1 : 0)
      log({ event: 'health', target, healthy })
    },
  })
  for (const target of targets) {
    metrics.breakerState.set({ target }, BREAKER_STATE_VALUE.closed)
    metrics.upstreamHealthy.set({ target }, 1)
  }

  const ready = () =>
    config.routes.every((route) =>
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
    const tenant = c.var.principal?.tenant ?? ''
    const route = c.var.route ?? ''
    const variant = c.var.variant ?? ''
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
      upstream: c.var.upstream ?? '',
      request_id: c.var.requestId,
      trace_id: c.var.traceId,
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

  app.use(limitBody(config.limits.max_body_bytes))

  app.use(async (c, next) => {
    if (isOpenPath(config.auth, c.req.path)) return next()
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
    app.use(async (c, next) => {
      const tenant = c.var.principal?.tenant
      if (tenant === undefined) return next()
      const result = await rateLimitStore.take(tenant, ruleFor(rateLimits, tenant), now())
      const headers = rateLimitHeaders(result)
      if (!result.allowed) {
        metrics.rateLimited.inc({ tenant })
        return fail(c, 429, `rate limit exceeded for tenant ${tenant}`, headers)
      }
      await next()
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value)
    })
  }

  app.get('/metrics', (c) => {
    // An open breaker turns half-open with time alone; asking each for its state reports that.
    for (const target of targets) pool.breaker(target).state()
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
    const route = findRoute(config.routes, model)
    if (!route) return fail(c, 404, `no route for model ${model}`)
    c.set('route', route.model)
    const principal = c.var.principal
    if (principal && !allows(principal, model)) {
      return fail(c, 403, `tenant ${principal.tenant} may not use model ${model}`)
    }
    const stickyKey = route.sticky && c.req.header(route.sticky.header)
    const variant = chooseVariant(route.variants, random, stickyKey)
    c.set('variant', variant.name)

    const request = await upstreamRequest(c)
    const primary = forward(request, {
      candidates: roundRobin.order(`${route.model}\n${variant.name}`, variant.targets, pool),
      breaker: (target) => pool.breaker(target),
      timeoutMs: route.timeout_ms,
      retries: route.retries,
      fetch: upstreamFetch,
      now,
      random,
      onAttempt: (_target, seconds) =>
        metrics.upstreamDuration.observe({ route: route.model, variant: variant.name }, seconds),
      onRetry: () => metrics.retries.inc({ route: route.model }),
    })
    if (route.shadow && request.body !== undefined && random() < route.shadow.sample) {
      // Cloned before the client's copy is read: the shadow comparison reads the other branch.
      const primaryResponse = primary.then((r) =>
        r.ok && r.response.ok ? r.response.clone() : undefined,
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
    const headers = copyHeaders(result.response.headers, FORWARDED_RESPONSE_HEADERS)
    headers.set('x-infera-variant', variant.name)
    // newResponse, not new Response: it keeps headers set earlier on the context (x-request-id).
    return c.newResponse(result.response.body, {
      status: result.response.status as StatusCode,
      headers,
    })
  })

  app.onError((error, c) => {
    log({ event: 'error', request_id: c.var.requestId, error: String(error) })
    return fail(c, 500, 'internal gateway error')
  })

  async function upstreamRequest(c: Context<GatewayEnv>): Promise<UpstreamRequest> {
    const headers = copyHeaders(c.req.raw.headers, FORWARDED_REQUEST_HEADERS)
    headers.set('x-request-id', c.var.requestId)
    headers.set('traceparent', c.var.traceparent)
    const url = new URL(c.req.url)
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD'
    return {
      method: c.req.method,
      pathAndQuery: `${url.pathname}${url.search}`,
      headers,
      body: hasBody ? await c.req.arrayBuffer() : undefined,
    }
  }

  function shadow(
    route: RouteConfig,
    shadowTargets: readonly string[],
    request: UpstreamRequest,
    primaryResponse: Promise<Response | undefined>,
  ): Promise<void> {
    metrics.shadowRequests.inc({ route: route.model })
    return mirror(request, primaryResponse, {
      targets: shadowTargets,
      fetch: upstreamFetch,
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
    healthChecks: {
      start: () => pool.start(),
      stop: () => pool.stop(),
      checkNow: () => pool.checkNow(),
    },
  })
}
