// PromQL the panels repeat, over Grafana's `$__rate_interval` (at least four scrapes).
import type { Query } from './index.ts'

/** Per-second rate of a counter, summed by `by`. */
export const rate = (metric: string, selector: string, by: string) =>
  `sum by (${by}) (rate(${metric}{${selector}}[$__rate_interval]))`

/** A quantile of a histogram, by `by`. */
export const quantile = (q: number, metric: string, selector: string, by: string) =>
  `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket{${selector}}[$__rate_interval])))`

/** p50, p95 and p99 of a histogram, one query each. */
export const percentiles = (metric: string, selector: string, by: string, legend: string) =>
  [0.5, 0.95, 0.99].map(
    (q): Query => ({ expr: quantile(q, metric, selector, by), legend: `p${q * 100} ${legend}` }),
  )

/** The mean of a histogram's observations, by `by`. */
export const mean = (metric: string, selector: string, by: string) =>
  `${rate(`${metric}_sum`, selector, by)} / ${rate(`${metric}_count`, selector, by)}`
