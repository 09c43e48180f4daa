// k6's threshold expressions, evaluated over what the gate measured the way k6 computes its
// built-in HTTP metrics: `http_req_duration` a trend in milliseconds, `http_req_failed` a rate,
// `http_reqs` a counter.

export interface Samples {
  /** Milliseconds, one per response. */
  durations: number[]
  /** Requests that got no 2xx/3xx answer: other statuses, connection errors, timeouts. */
  failed: number
  requests: number
  seconds: number
}

export interface ThresholdResult {
  metric: string
  expression: string
  value: number
  ok: boolean
}

const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
}

/** k6's percentile: linear interpolation between the closest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const lower = sorted[low] as number
  const upper = sorted[Math.min(low + 1, sorted.length - 1)] as number
  return lower + (upper - lower) * (rank - low)
}

function aggregate(metric: string, stat: string, p: string | undefined, samples: Samples) {
  switch (metric) {
    case 'http_req_duration': {
      const sorted = [...samples.durations].sort((a, b) => a - b)
      const sum = sorted.reduce((a, b) => a + b, 0)
      const stats: Record<string, number> = {
        avg: sum / sorted.length,
        min: sorted[0] ?? Number.NaN,
        max: sorted[sorted.length - 1] ?? Number.NaN,
        med: percentile(sorted, 50),
      }
      if (p !== undefined) return percentile(sorted, Number(p))
      if (stat in stats) return stats[stat] as number
      break
    }
    case 'http_req_failed':
      if (stat === 'rate') return samples.requests === 0 ? 0 : samples.failed / samples.requests
      break
    case 'http_reqs':
      if (stat === 'count') return samples.requests
      if (stat === 'rate') return samples.requests / samples.seconds
      break
    default:
      throw new Error(`the gate does not measure k6's ${metric}`)
  }
  throw new Error(`${metric} has no ${stat}`)
}

/** Every threshold against the samples; a threshold the gate cannot evaluate is an error. */
export function evaluate(
  thresholds: Record<string, readonly string[]>,
  samples: Samples,
): ThresholdResult[] {
  return Object.entries(thresholds).flatMap(([metric, expressions]) =>
    expressions.map((expression) => {
      const match = EXPRESSION.exec(expression)
      if (!match) throw new Error(`not a k6 threshold expression: '${expression}'`)
      const [, stat, p, operator, bound] = match as unknown as [
        string,
        string,
        string | undefined,
        string,
        string,
      ]
      const value = aggregate(metric, stat, p, samples)
      return {
        metric,
        expression,
        value,
        ok: (COMPARE[operator] as (a: number, b: number) => boolean)(value, Number(bound)),
      }
    }),
  )
}
