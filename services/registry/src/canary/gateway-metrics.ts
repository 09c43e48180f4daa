/** A canary's traffic as the gateway counts it: read from the Prometheus text at `/metrics`. */
import parsePrometheusTextFormat, {
  type MetricFamily,
  type Sample,
} from 'parse-prometheus-text-format'
import { addCounts, DEFAULT_CANARY_POLICY, NO_TRAFFIC } from './analysis.ts'
import type { CanaryMetricsSource, VariantCounts } from './types.ts'

// The gateway's own names: services/gateway/src/metrics/gateway.ts. `route` is the model, and the
// registry follower names a model's variants `production` and `canary`.
const REQUESTS = 'infera_gateway_requests_total'
const DURATION = 'infera_gateway_request_duration_seconds'
const VARIANTS = ['production', 'canary'] as const
type Variant = (typeof VARIANTS)[number]

/** A scrape should take milliseconds; a gateway slower than this is as good as unreachable. */
const SCRAPE_TIMEOUT_MS = 5000

export interface GatewayMetricsOptions {
  /**
   * A request slower than this is slow (default: the gateway-latency SLO's threshold). When it is
   * not a bound of the gateway's latency buckets, the largest bound below it is used: a request
   * between the two counts as slow, which errs towards rolling back.
   */
  latencyThresholdSeconds?: number
  fetch?: typeof fetch
}

/** Sums each variant's counters over tenants, statuses and every gateway replica given. */
export class GatewayMetricsSource implements CanaryMetricsSource {
  readonly #urls: string[]
  readonly #threshold: number
  readonly #fetch: typeof fetch

  /** `urls`: each gateway replica, e.g. http://127.0.0.1:8080; `/metrics` is read from each. */
  constructor(urls: string | string[], options: GatewayMetricsOptions = {}) {
    this.#urls = (typeof urls === 'string' ? [urls] : urls).map((url) => {
      if (!(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) {
        throw new TypeError(`gateway URL '${url}' is not an http(s) URL`)
      }
      return url.replace(/\/+$/, '')
    })
    if (this.#urls.length === 0) throw new TypeError('name at least one gateway URL')
    this.#threshold =
      options.latencyThresholdSeconds ?? DEFAULT_CANARY_POLICY.latencyThresholdSeconds
    this.#fetch = options.fetch ?? fetch
  }

  /** Rejects when any gateway can't be read: a partial sum would look like a counter reset. */
  async read(model: string) {
    const pages = await Promise.all(this.#urls.map((url) => this.#scrape(url)))
    const counts: { production?: VariantCounts; canary?: VariantCounts } = {}
    for (const families of pages) {
      for (const variant of VARIANTS) {
        const page = this.#variantCounts(families, model, variant)
        if (page) counts[variant] = addCounts(counts[variant] ?? NO_TRAFFIC, page)
      }
    }
    return counts
  }

  async #scrape(url: string): Promise<MetricFamily[]> {
    let response: Response
    try {
      response = await this.#fetch(`${url}/metrics`, {
        signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
      })
    } catch (error) {
      throw new Error(`can't read the gateway's metrics at ${url}/metrics: ${errorText(error)}`)
    }
    if (!response.ok) {
      throw new Error(`the gateway's metrics at ${url}/metrics answered ${response.status}`)
    }
    // The parser merges every series of a labelled histogram into one, labels lost
    // (yunyu/parse-prometheus-text-format#13): untyped, its _bucket and _count lines are read as
    // plain samples, each with its labels.
    const text = (await response.text()).replace(/^# TYPE \S+ histogram$/gm, '')
    return parsePrometheusTextFormat(text)
  }

  /** One page's counters of a model's variant; undefined if the page has no series of it. */
  #variantCounts(
    families: MetricFamily[],
    model: string,
    variant: Variant,
  ): VariantCounts | undefined {
    const samples = (name: string) =>
      families
        .filter((family) => family.name === name)
        .flatMap((family) => family.metrics)
        .filter((s) => s.labels?.route === model && s.labels?.variant === variant)
    const requests = samples(REQUESTS)
    if (requests.length === 0) return undefined
    return {
      requests: total(requests),
      errors: total(requests.filter((s) => s.labels?.status?.startsWith('5'))),
      slow: this.#slow(samples(`${DURATION}_bucket`), samples(`${DURATION}_count`)),
    }
  }

  /** Observations above the threshold: all of them less those in the bucket at or below it. */
  #slow(buckets: Sample[], counts: Sample[]): number {
    if (buckets.length === 0) return 0
    const bounds = buckets.map((s) => Number(s.labels?.le)).filter((le) => le <= this.#threshold)
    if (bounds.length === 0) {
      throw new Error(
        `the gateway's ${DURATION} has no bucket at or below ${this.#threshold} s: it can't tell which requests were slower`,
      )
    }
    const bound = Math.max(...bounds)
    return total(counts) - total(buckets.filter((s) => Number(s.labels?.le) === bound))
  }
}

const total = (samples: Sample[]) => samples.reduce((sum, s) => sum + Number(s.value), 0)

const errorText = (error: unknown) =>
  error instanceof Error
    ? error.cause instanceof Error
      ? error.cause.message
      : error.message
    : String(error)
