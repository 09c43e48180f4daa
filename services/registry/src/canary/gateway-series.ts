/**
 * What every reader of the gateway's counters shares: the series' names, the rule that tells slow
 * requests from the latency histogram, and how the reader is reached.
 */
import { DEFAULT_CANARY_POLICY } from './analysis.ts'

// The gateway's own names: services/gateway/src/metrics/gateway.ts. `route` is the model, and the
// registry follower names a model's variants `production` and `canary`.
export const REQUESTS = 'infera_gateway_requests_total'
export const DURATION = 'infera_gateway_request_duration_seconds'
export const VARIANTS = ['production', 'canary'] as const
export type Variant = (typeof VARIANTS)[number]

/** A read should take milliseconds; a source slower than this is as good as unreachable. */
export const READ_TIMEOUT_MS = 5000

export interface CanaryMetricsOptions {
  /**
   * A request slower than this is slow (default: the gateway-latency SLO's threshold). When it is
   * not a bound of the gateway's latency buckets, the largest bound below it is used: a request
   * between the two counts as slow, which errs towards rolling back.
   */
  latencyThresholdSeconds?: number
  fetch?: typeof fetch
}

/** The options with their defaults. */
export const resolveOptions = (options: CanaryMetricsOptions) => ({
  threshold: options.latencyThresholdSeconds ?? DEFAULT_CANARY_POLICY.latencyThresholdSeconds,
  fetch: options.fetch ?? fetch,
})

/** A latency histogram bucket: its upper bound and how many observations were at or below it. */
export interface Bucket {
  le: number
  count: number
}

/**
 * How many of `count` observations were slower than `threshold`: all of them less those in the
 * bucket at the largest bound at or below it (buckets with that bound, of several series, added).
 */
export function slowObservations(buckets: readonly Bucket[], count: number, threshold: number) {
  if (buckets.length === 0) return 0
  const bounds = buckets.map((b) => b.le).filter((le) => le <= threshold)
  if (bounds.length === 0) {
    throw new Error(
      `the gateway's ${DURATION} has no bucket at or below ${threshold} s: it can't tell which requests were slower`,
    )
  }
  const bound = Math.max(...bounds)
  return buckets.filter((b) => b.le === bound).reduce((left, b) => left - b.count, count)
}

/** `url` without its trailing slashes; a TypeError if it is no http(s) URL. */
export function httpUrl(url: string, what: string): string {
  if (!(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) {
    throw new TypeError(`${what} URL '${url}' is not an http(s) URL`)
  }
  return url.replace(/\/+$/, '')
}

/** Why a fetch failed: undici hides the reason (ECONNREFUSED, …) in the cause. */
export const errorText = (error: unknown) =>
  error instanceof Error
    ? error.cause instanceof Error
      ? error.cause.message
      : error.message
    : String(error)
