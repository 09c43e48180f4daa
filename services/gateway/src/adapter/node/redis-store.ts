import { createHash } from 'node:crypto'
import {
  bucketResult,
  type RateLimitResult,
  type RateLimitRule,
  type RateLimitStore,
} from '../../ratelimit/index.ts'

/** What the store needs from a node-redis client (v4 and later), so any client or cluster fits. */
export interface RedisScriptClient {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

// The same refill as `refill` in src/ratelimit, run inside Redis so concurrent takes from every
// gateway replica are serialised on the one bucket. The refill time never moves backwards, so a
// replica whose clock lags cannot hand out tokens twice. The key expires once the bucket would be
// full, since a missing bucket is a full one. Tokens go back as a string: Lua numbers are
// truncated to integers on the way out.
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) / 1000 * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
ts = math.max(ts, now)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return { allowed, tostring(tokens) }
`
const TAKE_SHA1 = createHash('sha1').update(TAKE_SCRIPT).digest('hex')

export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisScriptClient
  readonly #prefix: string

  constructor(client: RedisScriptClient, options: { prefix?: string } = {}) {
    this.#client = client
    this.#prefix = options.prefix ?? 'infera:ratelimit:'
  }

  async take(key: string, rule: RateLimitRule, now: number): Promise<RateLimitResult> {
    const call = {
      keys: [this.#prefix + key],
      arguments: [String(rule.rate), String(rule.burst), String(now)],
    }
    const reply = await this.#client.evalSha(TAKE_SHA1, call).catch((error: unknown) => {
      // Redis drops cached scripts on restart or SCRIPT FLUSH; EVAL loads it again.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return this.#client.eval(TAKE_SCRIPT, call)
      }
      throw error
    })
    const [allowed, tokens] = reply as [number, string]
    return bucketResult(rule, Number(tokens), allowed === 1)
  }
}
