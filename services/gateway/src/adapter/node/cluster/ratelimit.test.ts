import { describe, expect, it } from 'vitest'
import { MemoryRateLimitStore } from '../../../ratelimit/index.ts'
import { ShareOfLimitStore } from './ratelimit.ts'

const takeAll = async (store: ShareOfLimitStore, count: number, rule = { rate: 1, burst: 10 }) => {
  const results = []
  for (let i = 0; i < count; i++) results.push(await store.take('acme', rule, 0))
  return results
}

describe('ShareOfLimitStore', () => {
  it('lets one worker of two take half the burst, and reports the whole bucket', async () => {
    const results = await takeAll(new ShareOfLimitStore(new MemoryRateLimitStore(), 2), 8)
    expect(results.filter((r) => r.allowed)).toHaveLength(5)
    expect(results[0]).toMatchObject({ limit: 10, remaining: 8 })
    expect(results[5]?.allowed).toBe(false)
  })

  it('refills at its share of the rate', async () => {
    const store = new ShareOfLimitStore(new MemoryRateLimitStore(), 4)
    const rule = { rate: 4, burst: 4 }
    expect((await store.take('acme', rule, 0)).allowed).toBe(true)
    expect((await store.take('acme', rule, 500)).allowed).toBe(false)
    expect((await store.take('acme', rule, 1000)).allowed).toBe(true)
  })

  it('keeps at least one token per worker when the burst is smaller than the worker count', async () => {
    const results = await takeAll(new ShareOfLimitStore(new MemoryRateLimitStore(), 4), 3, {
      rate: 0.001,
      burst: 1,
    })
    expect(results.map((r) => r.allowed)).toEqual([true, false, false])
  })

  it('refuses a worker count that is not a whole number of at least 1', () => {
    expect(() => new ShareOfLimitStore(new MemoryRateLimitStore(), 0)).toThrow(/at least 1/)
    expect(() => new ShareOfLimitStore(new MemoryRateLimitStore(), 1.5)).toThrow(/at least 1/)
  })
})
