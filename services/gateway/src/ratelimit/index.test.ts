import { describe, expect, it } from 'vitest'
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
