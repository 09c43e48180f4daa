/**
 * A canary's traffic as the Prometheus that scrapes every gateway replica has it: the source for a
 * cluster, where the HPA adds and removes replicas and a Service would spread reads across them.
 */
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

export type PrometheusMetricsOptions = CanaryMetricsOptions

/** One series of an instant query's vector: its labels, and [evaluation time in s, value]. */
interface VectorSample {
  metric: Record<string, string>
  value: [number, string]
}

/** What /api/v1/query answers (https://prometheus.io/docs/prometheus/latest/querying/api/). */
interface QueryAnswer {
  status?: string
  errorType?: string
  error?: string
  data?: { resultType?: string; result?: VectorSample[] }
}

/**
 * A PromQL string literal of `value`. PromQL's double-quoted strings take Go's escapes, and JSON's
 * (`\"`, `\\`, `\n`, `\u0000`, …) are among them: a model name can't end the matcher early.
 */
const promqlString = (value: string) => JSON.stringify(value)

/**
 * Sums each variant's counters over tenants, statuses and every replica Prometheus scrapes, with
 * instant queries on `/api/v1/query`. The raw counters, not their `increase()`: the analysis keeps
 * its own baseline from its first read, and takes a sum that went down (a replica restarted, or
 * the HPA removed one) for a restart, counting on from there.
 */
export class PrometheusMetricsSource implements CanaryMetricsSource {
  readonly #url: string
  readonly #threshold: number
  readonly #fetch: typeof fetch

  /** `url`: Prometheus's, e.g. http://prometheus:9090 (with its route prefix, if it has one). */
  constructor(url: string, options: PrometheusMetricsOptions = {}) {
    this.#url = httpUrl(url, 'Prometheus')
    const resolved = resolveOptions(options)
    this.#threshold = resolved.threshold
    this.#fetch = resolved.fetch
  }

  async read(model: string) {
    const series = (name: string, more = '') =>
      `${name}{route=${promqlString(model)},variant=~"${VARIANTS.join('|')}"${more}}`
    const requests = await this.#query(`sum by (variant) (${series(REQUESTS)})`)
    // No series: neither variant has served anything, there is nothing more to ask.
    const time = requests[0]?.value[0]
    if (time === undefined) return {}
    // The rest at the instant the requests were counted at: all from the same scrapes, so that no
    // error or slow answer is counted from a scrape newer than its requests.
    const [errors, buckets, durations] = await Promise.all([
      this.#query(`sum by (variant) (${series(REQUESTS, ',status=~"5.."')})`, time),
      this.#query(`sum by (variant, le) (${series(`${DURATION}_bucket`)})`, time),
      this.#query(`sum by (variant) (${series(`${DURATION}_count`)})`, time),
    ])
    const counts: { production?: VariantCounts; canary?: VariantCounts } = {}
    for (const sample of requests) {
      const variant = sample.metric.variant as Variant
      const of = (result: VectorSample[]) => result.filter((s) => s.metric.variant === variant)
      const total = (result: VectorSample[]) =>
        of(result).reduce((sum, s) => sum + Number(s.value[1]), 0)
      const bucketCounts = of(buckets).map((s) => ({
        le: Number(s.metric.le),
        count: Number(s.value[1]),
      }))
      counts[variant] = {
        requests: Number(sample.value[1]),
        errors: total(errors),
        slow: slowObservations(bucketCounts, total(durations), this.#threshold),
      }
    }
    return counts
  }

  /** The vector `query` evaluates to, now or at `time` (seconds since the epoch). */
  async #query(query: string, time?: number): Promise<VectorSample[]> {
    const params = new URLSearchParams({ query })
    if (time !== undefined) params.set('time', String(time))
    let response: Response
    let text: string
    try {
      response = await this.#fetch(`${this.#url}/api/v1/query?${params}`, {
        signal: AbortSignal.timeout(READ_TIMEOUT_MS),
      })
      text = await response.text()
    } catch (error) {
      throw new Error(`can't query Prometheus at ${this.#url}: ${errorText(error)}`)
    }
    let answer: QueryAnswer | undefined
    try {
      answer = JSON.parse(text)
    } catch {
      // Not Prometheus answering (a proxy's error page, say): the status says what there is to say.
    }
    if (answer?.status === 'error') {
      throw new Error(
        `Prometheus at ${this.#url} failed the query ${query} (${response.status} ${answer.errorType}): ${answer.error}`,
      )
    }
    const result =
      answer?.status === 'success' && answer.data?.resultType === 'vector'
        ? answer.data.result
        : undefined
    if (!(response.ok && Array.isArray(result))) {
      throw new Error(
        `Prometheus at ${this.#url} answered the query ${query} with ${response.status} and no vector`,
      )
    }
    return result
  }
}
