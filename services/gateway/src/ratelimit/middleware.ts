import type { MiddlewareHandler } from 'hono'
import type { Timers } from '../../../shared/poll/index.ts'
import { fail, type GatewayEnv, type Log } from '../context/index.ts'
import type { GatewayMetrics } from '../metrics/index.ts'
import {
  type RateLimitConfig,
  type RateLimitResult,
  type RateLimitStore,
  rateLimitHeaders,
  ruleFor,
} from './bucket.ts'

export interface RateLimitOptions {
  config: RateLimitConfig
  store: RateLimitStore
  metrics: GatewayMetrics
  log: Log
  timers: Timers
  /** Milliseconds since the epoch. */
  now: () => number
}

/**
 * One token from the tenant's bucket, or undefined when the store failed or took longer than
 * `timeout_ms` (Redis down or stalled): counted, and logged when failing starts and stops.
 */
export function tokenTaker({ config, store, metrics, log, timers, now }: RateLimitOptions) {
  const timeoutMs = config.timeout_ms
  let storeFailing = false
  const succeeded = (result: RateLimitResult) => {
    if (storeFailing) log({ event: 'rate_limit_store', ok: true })
    storeFailing = false
    return result
  }
  const failed = (error: unknown) => {
    metrics.rateLimitErrors.inc({})
    if (!storeFailing) log({ event: 'rate_limit_store', ok: false, error: String(error) })
    storeFailing = true
    return undefined
  }
  return function takeToken(
    tenant: string,
  ): RateLimitResult | undefined | Promise<RateLimitResult | undefined> {
    let taken: ReturnType<RateLimitStore['take']>
    try {
      taken = store.take(tenant, ruleFor(config, tenant), now())
    } catch (error) {
      return failed(error)
    }
    // An in-process store answers at once: no deadline to race, no timer to set per request.
    if (!(taken instanceof Promise)) return succeeded(taken)
    let timer: unknown
    const timeout = new Promise<never>((_, reject) => {
      timer = timers.setTimeout(
        () => reject(new Error(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    return Promise.race([taken, timeout])
      .then(succeeded, failed)
      .finally(() => timers.clearTimeout(timer))
  }
}

/**
 * Per-tenant token buckets, after auth: 429 over the bucket, `RateLimit-*` headers on every
 * answer. A failed store lets the request through, or 503s it with `failure_mode_deny`.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<GatewayEnv> {
  const { config, metrics } = options
  const takeToken = tokenTaker(options)
  // From 0, so an alert on its rate sees the first failure.
  metrics.rateLimitErrors.inc({}, 0)
  return async function rateLimit(c, next) {
    const tenant = c.get('principal')?.tenant
    if (tenant === undefined) return next()
    const trace = c.get('trace')
    const result = await (trace
      ? trace.step('rate_limit', () => takeToken(tenant))
      : takeToken(tenant))
    if (result === undefined) {
      if (!config.failure_mode_deny) return next()
      return fail(c, 503, 'the rate limiter is unavailable', { 'Retry-After': '1' })
    }
    if (!result.allowed) {
      metrics.rateLimited.inc({ tenant })
      return fail(c, 429, `rate limit exceeded for tenant ${tenant}`, rateLimitHeaders(result))
    }
    Object.assign(c.get('headers'), rateLimitHeaders(result))
    return next()
  }
}
