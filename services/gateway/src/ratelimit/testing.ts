import { expect, it } from 'vitest'
import type { RateLimitStore } from './index.ts'

/**
 * The behaviour every RateLimitStore must show, run against each implementation. `makeStore`
 * returns a store with no buckets yet; each test also uses its own key.
 */
export function rateLimitStoreBehaviour(makeStore: () => RateLimitStore): void {
  const t0 = 1_700_000_000_000
  const key = () => `tenant-${crypto.randomUUID()}`

  it('allows a full burst, then refuses with Retry-After for one token', async () => {
    const store = makeStore()
    const k = key()
    const rule = { rate: 0.5, burst: 3 }
    const results = []
    for (let i = 0; i < 4; i++) results.push(await store.take(k, rule, t0))
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    expect(results.every((r) => r.limit === 3)).toBe(true)
    expect(results[3]).toMatchObject({ retryAfterSeconds: 2, resetSeconds: 6 })
    expect(results[2]?.retryAfterSeconds).toBe(0)
  })

  it('refills at the rate and never above the burst', async () => {
    const store = makeStore()
    const k = key()
    const rule = { rate: 2, burst: 4 }
    for (let i = 0; i < 4; i++) await store.take(k, rule, t0)
    expect((await store.take(k, rule, t0)).allowed).toBe(false)
    // One second at 2 tokens/s buys exactly two more requests.
    expect((await store.take(k, rule, t0 + 1000)).allowed).toBe(true)
    expect((await store.take(k, rule, t0 + 1000)).allowed).toBe(true)
    expect((await store.take(k, rule, t0 + 1000)).allowed).toBe(false)
    // A long idle spell refills to the burst, no further.
    const later = t0 + 3_600_000
    const allowed = []
    for (let i = 0; i < 6; i++) allowed.push((await store.take(k, rule, later)).allowed)
    expect(allowed).toEqual([true, true, true, true, false, false])
  })

  it('reports seconds until the bucket is full again', async () => {
    const store = makeStore()
    const k = key()
    const rule = { rate: 1, burst: 10 }
    await store.take(k, rule, t0)
    await store.take(k, rule, t0)
    const third = await store.take(k, rule, t0 + 500)
    // 10 - 1 - 1 + 0.5 - 1 = 7.5 tokens left: 2.5 s to refill.
    expect(third).toMatchObject({ allowed: true, remaining: 7, resetSeconds: 3 })
  })

  it('does not charge refused requests', async () => {
    const store = makeStore()
    const k = key()
    const rule = { rate: 1, burst: 1 }
    await store.take(k, rule, t0)
    for (let i = 0; i < 5; i++) expect((await store.take(k, rule, t0 + 500)).allowed).toBe(false)
    expect((await store.take(k, rule, t0 + 1000)).allowed).toBe(true)
  })

  it('keeps buckets of different keys apart', async () => {
    const store = makeStore()
    const rule = { rate: 1, burst: 1 }
    const [a, b] = [key(), key()]
    expect((await store.take(a, rule, t0)).allowed).toBe(true)
    expect((await store.take(a, rule, t0)).allowed).toBe(false)
    expect((await store.take(b, rule, t0)).allowed).toBe(true)
  })

  it('gives nothing back when the clock goes backwards', async () => {
    const store = makeStore()
    const k = key()
    const rule = { rate: 1, burst: 2 }
    await store.take(k, rule, t0 + 10_000)
    await store.take(k, rule, t0 + 10_000)
    expect((await store.take(k, rule, t0)).allowed).toBe(false)
    // Nor does the earlier time count as the last refill: only real elapsed time refills.
    expect((await store.take(k, rule, t0 + 10_500)).allowed).toBe(false)
    expect((await store.take(k, rule, t0 + 11_000)).allowed).toBe(true)
  })

  it('allows exactly the burst among concurrent requests', async () => {
    const store = makeStore()
    const k = key()
    const rule = { rate: 0.001, burst: 5 }
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take(k, rule, t0)))
    expect(results.filter((r) => r.allowed)).toHaveLength(5)
  })
}
