/** A canary's traffic as the gateway counts it: read from the Prometheus text at `/metrics`. */
import parsePrometheusTextFormat, {
  type MetricFamily,
  type Sample,
} from 'parse-prometheus-text-format'
import { bearer } from '../../../shared/credentials/index.ts'
import { addCounts, NO_TRAFFIC } from './analysis.ts'
import {
  type CanaryMetricsOptions,
  DURATION,
  errorText,
  httpUrl,
  READ_TIMEOUT_MS,
  REQUESTS,
  resolveOptions,
  slowObservations,
  VARIANTS,
  type Variant,
} from './gateway-series.ts'
import type { CanaryMetricsSource, VariantCounts } from './types.ts'

export interface GatewayMetricsOptions extends CanaryMetricsOptions {
  /** A scrape token the gateways accept (their config's `metrics.sha256`), sent as a bearer. */
  token?: string
}

/** Sums each variant's counters over tenants, statuses and every gateway replica given. */
export class GatewayMetricsSource implements CanaryMetricsSource {
  readonly #urls: string[]
  readonly #threshold: number
  readonly #fetch: typeof fetch
  readonly #headers: Record<string, string>

  /** `urls`: each gateway replica, e.g. http://127.0.0.1:8080; `/metrics` is read from each. */
  constructor(urls: string | string[], options: GatewayMetricsOptions = {}) {
    this.#urls = (typeof urls === 'string' ? [urls] : urls).map((url) => httpUrl(url, 'gateway'))
    if (this.#urls.length === 0) throw new TypeError('name at least one gateway URL')
    const resolved = resolveOptions(options)
    this.#threshold = resolved.threshold
    this.#fetch = resolved.fetch
    this.#headers = bearer(options.token)
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
        headers: this.#headers,
        signal: AbortSignal.timeout(READ_TIMEOUT_MS),
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
    const buckets = samples(`${DURATION}_bucket`).map((s) => ({
      le: Number(s.labels?.le),
      count: Number(s.value),
    }))
    return {
      requests: total(requests),
      errors: total(requests.filter((s) => s.labels?.status?.startsWith('5'))),
      slow: slowObservations(buckets, total(samples(`${DURATION}_count`)), this.#threshold),
    }
  }
}

const total = (samples: Sample[]) => samples.reduce((sum, s) => sum + Number(s.value), 0)
