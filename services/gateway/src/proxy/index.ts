import type { Context } from 'hono'
import { unreadableBody } from '../../../shared/body-limit/index.ts'
import { modelFromPath } from '../app/paths.ts'
import { allows } from '../auth/index.ts'
import type { RouteConfig } from '../config/index.ts'
import { fail, type GatewayEnv, type Log, respond } from '../context/index.ts'
import type { GatewayMetrics } from '../metrics/index.ts'
import { chooseVariant, findRoute, RoundRobin, type RoutingTable } from '../routing/index.ts'
import { mirror } from '../shadow/index.ts'
import { tracedSend } from '../tracing/index.ts'
import {
  forward,
  type Send,
  type TargetPool,
  type UpstreamRequest,
  type UpstreamResponse,
} from '../upstream/index.ts'
import { FORWARDED_RESPONSE_HEADERS, pickHeaders, upstreamRequest } from './request.ts'

export interface ProxyOptions {
  table: RoutingTable
  pool: TargetPool
  send: Send
  metrics: GatewayMetrics
  log: Log
  maxResponseBytes: number
  /** How long an open breaker stays open: a 503's `Retry-After`. */
  breakerOpenMs: number
  /** Milliseconds since the epoch. */
  now: () => number
  /** Uniform in [0, 1): variant weights, shadow sampling, retry jitter. */
  random: () => number
}

function waitUntil(c: Context, promise: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(promise)
  } catch {
    // No execution context (Node, Deno): the promise runs on regardless, and never rejects.
  }
}

/**
 * The handler for every model path: the model's route, the caller's scope, a variant by weight
 * (or sticky header), then the request forwarded with retries over the variant's targets, and a
 * sampled copy mirrored to the route's shadow targets.
 */
export function proxy(options: ProxyOptions): (c: Context<GatewayEnv>) => Promise<Response> {
  const { table, pool, send, metrics, log, maxResponseBytes, now, random } = options
  const roundRobin = new RoundRobin()
  const breakerRetryAfter = { 'Retry-After': String(Math.ceil(options.breakerOpenMs / 1000)) }

  function shadow(
    route: RouteConfig,
    shadowTargets: readonly string[],
    request: UpstreamRequest,
    primaryResponse: Promise<UpstreamResponse | undefined>,
    shadowSend: Send,
  ): Promise<void> {
    metrics.shadowRequests.inc({ route: route.model })
    return mirror(request, primaryResponse, {
      targets: shadowTargets,
      send: shadowSend,
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

  return async function proxy(c: Context<GatewayEnv>) {
    const model = modelFromPath(c.req.path)
    if (model === undefined) return fail(c, 404, `no model in path ${c.req.path}`)
    const route = findRoute(table.getRoutes(), model)
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
    const trace = c.get('trace')
    const primary = forward(request, {
      candidates: roundRobin.order(`${route.model}\n${variant.name}`, variant.targets, pool),
      breaker: (target) => pool.breaker(target),
      timeoutMs: route.timeout_ms,
      retries: route.retries,
      maxResponseBytes,
      send: trace ? tracedSend(trace, send, 'upstream') : send,
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
      const shadowSend = trace ? tracedSend(trace, send, 'shadow') : send
      waitUntil(c, shadow(route, route.shadow.targets, request, primaryResponse, shadowSend))
    }

    const result = await primary
    if (result.target) c.set('upstream', result.target)
    if (!result.ok) {
      return fail(c, result.status, result.error, result.status === 503 ? breakerRetryAfter : {})
    }
    const response = result.response
    const headers = pickHeaders((name) => response.headers.get(name), FORWARDED_RESPONSE_HEADERS)
    headers['x-infera-variant'] = variant.name
    return respond(c, response.body, response.status, headers)
  }
}
