import { createClient } from 'redis'
import { afterAll, expect, it } from 'vitest'
import { describeWith, requirement } from '../../../../../testing/tools/index.ts'
import { rateLimitStoreBehaviour } from '../../ratelimit/testing.ts'
import { RedisRateLimitStore } from './redis-store.ts'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

function newClient() {
  // No reconnect loop: a missing server should fail the connect, not retry forever.
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } })
  client.on('error', () => {})
  return client
}
type Client = ReturnType<typeof newClient>

/** The server .ci/run starts; the block below closes the connection. */
const redisServer = requirement<Client>({
  name: `Redis at ${url}`,
  hint: 'start redis-server or set REDIS_URL',
  check: async () => {
    const client = newClient()
    await client.connect()
    return client
  },
})
const prefix = () => `infera-test:${crypto.randomUUID()}:`

describeWith({ redis: redisServer }, 'RedisRateLimitStore', ({ redis }) => {
  const replica = newClient()
  afterAll(async () => {
    await Promise.all([redis.close(), replica.isOpen && replica.close()])
  })

  rateLimitStoreBehaviour(() => new RedisRateLimitStore(redis, { prefix: prefix() }))

  it('shares one bucket between two replicas, atomically', async () => {
    await replica.connect()
    const shared = prefix()
    const stores = [
      new RedisRateLimitStore(redis, { prefix: shared }),
      new RedisRateLimitStore(replica, { prefix: shared }),
    ]
    const rule = { rate: 0.001, burst: 7 }
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores[i % 2]?.take('acme', rule, Date.now())),
    )
    expect(results.filter((r) => r?.allowed)).toHaveLength(7)
    // Either replica now sees the empty bucket.
    expect((await stores[0]?.take('acme', rule, Date.now()))?.allowed).toBe(false)
    expect((await stores[1]?.take('acme', rule, Date.now()))?.allowed).toBe(false)
  })

  it('keeps the bucket in a hash that expires once it would be full', async () => {
    const p = prefix()
    const store = new RedisRateLimitStore(redis, { prefix: p })
    await store.take('acme', { rate: 1, burst: 5 }, Date.now())
    await store.take('acme', { rate: 1, burst: 5 }, Date.now())
    const state = await redis.hGetAll(`${p}acme`)
    expect(Number(state.tokens)).toBeCloseTo(3, 1)
    const ttl = await redis.pTTL(`${p}acme`)
    // Two tokens short at 1/s: 2 s to refill, plus the 1 s margin.
    expect(ttl).toBeGreaterThan(2000)
    expect(ttl).toBeLessThanOrEqual(3100)
  })

  it('loads the script again after Redis forgets it', async () => {
    const store = new RedisRateLimitStore(redis, { prefix: prefix() })
    await store.take('acme', { rate: 1, burst: 2 }, Date.now())
    await redis.scriptFlush()
    const result = await store.take('acme', { rate: 1, burst: 2 }, Date.now())
    expect(result).toMatchObject({ allowed: true, remaining: 0 })
  })
})
