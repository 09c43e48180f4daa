import type { RateLimitResult, RateLimitRule, RateLimitStore } from '../../../ratelimit/index.ts'

/**
 * One worker's part of every bucket when `workers` processes each keep their own (no Redis): each
 * refills at 1/workers of the rate and holds 1/workers of the burst, so together they allow about
 * the configured limit. Approximate: a client whose connections all land on one worker gets that
 * worker's part only, and a part is never below one token (a burst below the worker count
 * allows up to one request per worker). The headers still describe the whole bucket.
 */
export class ShareOfLimitStore implements RateLimitStore {
  readonly #store: RateLimitStore
  readonly #workers: number

  constructor(store: RateLimitStore, workers: number) {
    if (!(Number.isInteger(workers) && workers >= 1)) {
      throw new RangeError(`workers must be a whole number of at least 1, got ${workers}`)
    }
    this.#store = store
    this.#workers = workers
  }

  async take(key: string, rule: RateLimitRule, now: number): Promise<RateLimitResult> {
    const part = { rate: rule.rate / this.#workers, burst: Math.max(1, rule.burst / this.#workers) }
    const result = await this.#store.take(key, part, now)
    return {
      ...result,
      limit: rule.burst,
      remaining: Math.min(rule.burst, result.remaining * this.#workers),
    }
  }
}
