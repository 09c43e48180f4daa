import { z } from 'zod'

const ruleSchema = z.object({
  rate: z.number().positive(),
  burst: z.number().int().min(1),
})

export const rateLimitConfigSchema = z.object({
  default: ruleSchema,
  tenants: z.record(z.string(), ruleSchema).optional(),
  /** A store call (Redis) slower than this counts as failed. */
  timeout_ms: z.number().int().positive().default(200),
  /**
   * When the store fails or times out: false (the default, as Envoy's `failure_mode_deny`) lets
   * the request through unlimited; true refuses it with 503. Either way it is counted.
   */
  failure_mode_deny: z.boolean().default(false),
})

export type RateLimitConfig = z.output<typeof rateLimitConfigSchema>

/** A token bucket: it holds at most `burst` tokens and refills at `rate` tokens per second. */
export interface RateLimitRule {
  rate: number
  burst: number
}

export interface RateLimitResult {
  allowed: boolean
  /** The bucket size, `burst`. */
  limit: number
  /** Whole tokens left after this request. */
  remaining: number
  /** Seconds until the bucket is full again. */
  resetSeconds: number
  /** Seconds until a request would be allowed; 0 when this one was. */
  retryAfterSeconds: number
}

export interface RateLimitStore {
  /**
   * Takes one token from the bucket `key`; `now` is milliseconds since the epoch. A store in the
   * process answers at once; a remote one (Redis) with a promise, raced against `timeout_ms`.
   */
  take(key: string, rule: RateLimitRule, now: number): RateLimitResult | Promise<RateLimitResult>
}

export function ruleFor(config: RateLimitConfig, tenant: string): RateLimitRule {
  return config.tenants?.[tenant] ?? config.default
}

/** Tokens in a bucket last seen holding `tokens` at `updatedAt`, refilled up to `now`. */
function refill(rule: RateLimitRule, tokens: number, updatedAt: number, now: number): number {
  return Math.min(rule.burst, tokens + (Math.max(0, now - updatedAt) / 1000) * rule.rate)
}

/** The result for a bucket left holding `tokens` after the take; shared by every store. */
export function bucketResult(
  rule: RateLimitRule,
  tokens: number,
  allowed: boolean,
): RateLimitResult {
  return {
    allowed,
    limit: rule.burst,
    remaining: Math.floor(tokens),
    resetSeconds: Math.ceil((rule.burst - tokens) / rule.rate),
    retryAfterSeconds: allowed ? 0 : Math.ceil((1 - tokens) / rule.rate),
  }
}

/** `RateLimit-*` headers (IETF draft-ietf-httpapi-ratelimit-headers), plus `Retry-After` on 429. */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(result.resetSeconds),
  }
  if (!result.allowed) headers['Retry-After'] = String(result.retryAfterSeconds)
  return headers
}

interface Bucket {
  tokens: number
  updatedAt: number
  /** When the bucket is full again, i.e. indistinguishable from having no bucket. */
  fullAt: number
}

/**
 * Buckets in one process. A Map keeps them in least-recently-used order: each take drops the
 * oldest bucket if it has refilled (forgetting a full bucket changes nothing), and past
 * `maxBuckets` the oldest goes regardless, so memory stays bounded under a flood of keys.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #buckets = new Map<string, Bucket>()
  readonly #maxBuckets: number

  constructor(options: { maxBuckets?: number } = {}) {
    this.#maxBuckets = options.maxBuckets ?? 100_000
    if (!(this.#maxBuckets >= 1)) throw new RangeError('maxBuckets must be at least 1')
  }

  get size(): number {
    return this.#buckets.size
  }

  take(key: string, rule: RateLimitRule, now: number): RateLimitResult {
    const bucket = this.#buckets.get(key)
    this.#buckets.delete(key)
    let tokens = bucket ? refill(rule, bucket.tokens, bucket.updatedAt, now) : rule.burst
    const allowed = tokens >= 1
    if (allowed) tokens -= 1
    const updatedAt = Math.max(now, bucket?.updatedAt ?? now)
    const fullAt = updatedAt + ((rule.burst - tokens) / rule.rate) * 1000
    this.#buckets.set(key, { tokens, updatedAt, fullAt })
    this.#evict(now)
    return bucketResult(rule, tokens, allowed)
  }

  #evict(now: number): void {
    const oldest = this.#buckets.entries().next().value
    if (!oldest) return
    const [key, bucket] = oldest
    if (bucket.fullAt <= now || this.#buckets.size > this.#maxBuckets) this.#buckets.delete(key)
  }
}
