// Rare events read from counters: a model's load failure, a canary's rollback, a retraining job's
// failure. prom-client exports a labelled counter's series only once it is first incremented, so
// the series is born at 1, and `increase` (which counts between samples) never sees that first
// event: the first rollback of a model would go unnoticed. A series that is new within the window
// counts as events too.

/**
 * How many times `metric{selector}` went up within `window`, summed by `by`: a series only where
 * it did. Works over a Grafana variable such as `$__rate_interval` as over a fixed duration.
 */
export function eventsWithin(metric: string, selector: string, by: string, window: string) {
  const series = `${metric}{${selector}}`
  // `> 0` drops the zeros of old series, so that `or` adds the new ones that `increase` misses.
  return `sum by (${by}) (increase(${series}[${window}])) > 0
or
(
  sum by (${by}) (${series})
  unless
  sum by (${by}) (${series} offset ${window})
)`
}
