// What every k6 script runs: the SLO thresholds, one scenario, the prediction request.
// BASE_URL (default http://127.0.0.1:8080) and API_KEY come from the environment (k6 run -e).
import { check } from 'k6'
import http from 'k6/http'
import type { Options } from 'k6/options'
import { PREDICT } from '../request.ts'
import { SCENARIOS, type ScenarioName } from '../scenarios.ts'
import { GATEWAY_THRESHOLDS } from '../thresholds.ts'

const BASE_URL = __ENV.BASE_URL ?? 'http://127.0.0.1:8080'
const API_KEY = __ENV.API_KEY ?? ''

export const optionsFor = (scenario: ScenarioName): Options => ({
  scenarios: { [scenario]: SCENARIOS[scenario] },
  thresholds: GATEWAY_THRESHOLDS,
})

export function predict() {
  const response = http.post(`${BASE_URL}${PREDICT.path}`, PREDICT.body, {
    headers: PREDICT.headers(API_KEY),
    tags: { name: 'predict' },
  })
  check(response, { 'status is 200': (r) => r.status === 200 })
}
