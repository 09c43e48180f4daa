import { describe, expect, it } from 'vitest'
import { endlessBody, gateway, OPS_KEY } from '../testing/gateway.ts'
import { scrape } from '../testing/index.ts'
import { MemoryRateLimitStore, rateLimitConfigSchema, rateLimitHeaders, ruleFor } from './index.ts'
import { rateLimitStoreBehaviour } from './testing.ts'

describe('MemoryRateLimitStore', () => {
  rateLimitStoreBehaviour(() => new MemoryRateLimitStore())

  const rule = { rate: 1, burst: 2 }

  it('forgets buckets that have refilled', async () => {
    const store = new MemoryRateLimitStore()
    await store.take('a', rule, 0)
    await store.take('b', rule, 500)
    expect(store.size).toBe(2)
    // By t=1000 'a' is full again, so it can go; 'b' still owes half a token.
    await store.take('c', rule, 1000)
    expect(store.size).toBe(2)
    expect((await store.take('b', rule, 1000)).remaining).toBe(0)
  })

  it('holds at most maxBuckets, dropping the least recently used', async () => {
    const store = new MemoryRateLimitStore({ maxBuckets: 2 })
    await store.take('a', rule, 0)
    await store.take('a', rule, 0)
    await store.take('b', rule, 0)
    await store.take('b', rule, 0)
    await store.take('a', rule, 0)
    await store.take('c', rule, 0)
    expect(store.size).toBe(2)
    // 'b' was least recently used, so its empty bucket was dropped; 'a' kept its empty one.
    expect((await store.take('a', rule, 0)).allowed).toBe(false)
    expect((await store.take('b', rule, 0)).allowed).toBe(true)
  })
})

describe('rateLimitConfigSchema and ruleFor', () => {
  const config = rateLimitConfigSchema.parse({
    default: { rate: 10, burst: 20 },
    tenants: { acme: { rate: 100, burst: 50 } },
  })

  it('uses the tenant rule, else the default', () => {
    expect(ruleFor(config, 'acme')).toEqual({ rate: 100, burst: 50 })
    expect(ruleFor(config, 'other')).toEqual({ rate: 10, burst: 20 })
  })

  it('rejects rules that could never allow a request', () => {
    expect(() => rateLimitConfigSchema.parse({ default: { rate: 0, burst: 5 } })).toThrow()
    expect(() => rateLimitConfigSchema.parse({ default: { rate: 1, burst: 0 } })).toThrow()
    expect(() => rateLimitConfigSchema.parse({ default: { rate: 1, burst: 1.5 } })).toThrow()
  })
})

describe('rateLimitHeaders', () => {
  it('gives the IETF draft headers, and Retry-After only when refused', () => {
    const allowed = { allowed: true, limit: 5, remaining: 4, resetSeconds: 1, retryAfterSeconds: 0 }
    expect(rateLimitHeaders(allowed)).toEqual({
      'RateLimit-Limit': '5',
      'RateLimit-Remaining': '4',
      'RateLimit-Reset': '1',
    })
    const refused = { ...allowed, allowed: false, remaining: 0, retryAfterSeconds: 3 }
    expect(rateLimitHeaders(refused)).toMatchObject({
      'Retry-After': '3',
      'RateLimit-Remaining': '0',
    })
  })
})

describe('the rate limit middleware', () => {
  it('refuses a tenant over its bucket before reading any of its streamed body', async () => {
    const { call } = gateway({ rate_limits: { default: { rate: 0.001, burst: 1 } } })
    expect((await call('/v2/models/iris/ready')).status).toBe(200)
    const { pulled, init } = endlessBody()
    expect((await call('/v2/models/iris/infer', init)).status).toBe(429)
    expect(pulled.chunks).toBeLessThanOrEqual(1)
  })

  it('lets requests through, counted and logged once, when the rate limit store fails', async () => {
    const down = { take: () => Promise.reject(new Error('connection refused')) }
    const { call, app, logs } = gateway(
      { rate_limits: { default: { rate: 1, burst: 1 } } },
      undefined,
      { rateLimitStore: down },
    )
    for (let i = 0; i < 3; i++) {
      const response = await call('/v2/models/iris/ready')
      expect(response.status).toBe(200)
      expect(response.headers.get('ratelimit-limit')).toBeNull()
    }
    expect((await scrape(app)).get('infera_gateway_rate_limit_errors_total')).toBe(3)
    expect(logs.filter((line) => line.event === 'rate_limit_store')).toEqual([
      { event: 'rate_limit_store', ok: false, error: 'Error: connection refused' },
    ])
  })

  it('gives up on a store that does not answer within timeout_ms, or 503s when told to', async () => {
    const stalled = { take: () => new Promise<never>(() => {}) }
    const open = gateway(
      { rate_limits: { default: { rate: 1, burst: 1 }, timeout_ms: 5 } },
      undefined,
      { rateLimitStore: stalled },
    )
    expect((await open.call('/v2/models/iris/ready')).status).toBe(200)
    const closed = gateway(
      { rate_limits: { default: { rate: 1, burst: 1 }, timeout_ms: 5, failure_mode_deny: true } },
      undefined,
      { rateLimitStore: stalled },
    )
    const refused = await closed.call('/v2/models/iris/ready')
    expect(refused.status).toBe(503)
    expect(await refused.json()).toEqual({ error: 'the rate limiter is unavailable' })
    expect((await scrape(closed.app)).get('infera_gateway_rate_limit_errors_total')).toBe(1)
  })

  it('429s a tenant over its bucket with Retry-After and RateLimit headers', async () => {
    const { call, app, clock, upstream } = gateway({
      rate_limits: { default: { rate: 1, burst: 2 }, tenants: { ops: { rate: 100, burst: 100 } } },
    })
    const first = await call('/v2/models/iris/ready')
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit-limit')).toBe('2')
    expect(first.headers.get('ratelimit-remaining')).toBe('1')
    expect((await call('/v2/models/iris/ready')).status).toBe(200)
    const limited = await call('/v2/models/iris/ready')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
    expect(limited.headers.get('ratelimit-remaining')).toBe('0')
    expect(await limited.json()).toEqual({ error: 'rate limit exceeded for tenant acme' })
    expect((await call('/v2/models/iris/ready', {}, OPS_KEY)).status).toBe(200)
    clock.advance(1000)
    expect((await call('/v2/models/iris/ready')).status).toBe(200)
    expect(upstream.calls).toHaveLength(4)
    expect((await scrape(app)).get('infera_gateway_rate_limited_total{tenant="acme"}')).toBe(1)
  })
})
