// A k6 scenario's load shape as steps autocannon can run: a number of connections, for whole
// seconds, as fast as they go (closed model, like k6's VUs) or at a rate (open model, like k6's
// arrival-rate executors). A ramp becomes a staircase.
import type { Scenario } from 'k6/options'

export interface Step {
  seconds: number
  connections: number
  /** Requests per second over all connections; none: each connection sends back to back. */
  rate?: number
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 }

/** A k6 duration (`30s`, `5m`, `1h30m`, `500ms`) in seconds. */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`not a k6 duration: '${text}'`)
  }
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNITS[unit as string] as number), 0)
}

/** The steps of a ramp are at most this many per stage, each at least a second. */
const STEPS_PER_STAGE = 10

// autocannon splits an overall rate into whole requests per second per connection, and a
// connection whose share is 0 is not limited at all: never more connections than requests.
function atRate(seconds: number, perSecond: number, connections: number): Step {
  const rate = Math.max(1, Math.round(perSecond))
  return { seconds, rate, connections: Math.max(1, Math.min(connections, rate)) }
}

const wholeSeconds = (seconds: number) => Math.max(1, Math.round(seconds))

/** The scenario as steps, every duration multiplied by `scale` (a short run keeps the shape). */
export function toSteps(scenario: Scenario, scale = 1): Step[] {
  const seconds = (duration: string) => wholeSeconds(parseDuration(duration) * scale)
  switch (scenario.executor) {
    case 'constant-vus':
      return [{ seconds: seconds(scenario.duration), connections: scenario.vus ?? 1 }]
    case 'constant-arrival-rate': {
      const perSecond = scenario.rate / parseDuration(scenario.timeUnit ?? '1s')
      return [atRate(seconds(scenario.duration), perSecond, scenario.preAllocatedVUs)]
    }
    case 'ramping-arrival-rate': {
      const unit = parseDuration(scenario.timeUnit ?? '1s')
      let from = scenario.startRate ?? 0
      return scenario.stages.flatMap((stage) => {
        const total = parseDuration(stage.duration) * scale
        const count = Math.min(STEPS_PER_STAGE, wholeSeconds(total))
        const steps = Array.from({ length: count }, (_, i) => {
          const perUnit = from + ((stage.target - from) * (i + 0.5)) / count
          return atRate(wholeSeconds(total / count), perUnit / unit, scenario.preAllocatedVUs)
        })
        from = stage.target
        return steps
      })
    }
    default:
      throw new Error(`the gate cannot reproduce k6's ${scenario.executor} executor`)
  }
}

/** How long a scenario runs, in seconds. */
export function scenarioSeconds(scenario: Scenario): number {
  if ('duration' in scenario && typeof scenario.duration === 'string') {
    return parseDuration(scenario.duration)
  }
  if ('stages' in scenario) {
    return scenario.stages.reduce((sum, stage) => sum + parseDuration(stage.duration), 0)
  }
  throw new Error(`no duration for k6's ${scenario.executor} executor`)
}
