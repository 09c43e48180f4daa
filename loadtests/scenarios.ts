// The load shapes, as k6 scenarios: the k6 scripts run them as they are, and the autocannon gate
// reproduces them.
import type { Scenario } from 'k6/options'

export const SCENARIOS = {
  /** One user for half a minute: does it work at all. */
  smoke: { executor: 'constant-vus', vus: 1, duration: '30s' },
  /** The expected load, as a constant arrival rate: requests per second, whatever the latency. */
  load: {
    executor: 'constant-arrival-rate',
    rate: 50,
    timeUnit: '1s',
    duration: '5m',
    preAllocatedVUs: 20,
    maxVUs: 100,
  },
  /** Ramping past the expected load to four times it, and back down. */
  stress: {
    executor: 'ramping-arrival-rate',
    startRate: 10,
    timeUnit: '1s',
    preAllocatedVUs: 50,
    maxVUs: 400,
    stages: [
      { duration: '2m', target: 50 },
      { duration: '3m', target: 100 },
      { duration: '3m', target: 200 },
      { duration: '2m', target: 0 },
    ],
  },
  /** The expected load for an hour: leaks, growing queues, slow drift. */
  soak: {
    executor: 'constant-arrival-rate',
    rate: 30,
    timeUnit: '1s',
    duration: '1h',
    preAllocatedVUs: 20,
    maxVUs: 50,
  },
} as const satisfies Record<string, Scenario>

export type ScenarioName = keyof typeof SCENARIOS
