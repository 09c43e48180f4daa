import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CANARY_POLICY } from '../../services/registry/src/canary/analysis.ts'
import { dashboardUsages } from '../testing/queries.ts'
import { lifecycleDashboard } from './lifecycle.ts'

const board = lifecycleDashboard() as dashboard.Dashboard
const panel = (title: string) => {
  const found = (board.panels ?? []).find((p) => p.title === title) as dashboard.Panel | undefined
  if (!found) throw new Error(`no panel "${title}"`)
  return found
}
const redFrom = (title: string) =>
  panel(title).fieldConfig?.defaults.thresholds?.steps.find((s) => s.color === 'red')?.value

describe('the model lifecycle dashboard', () => {
  it('draws the canary lines where the canary controller rolls back', () => {
    expect(redFrom('Canary error ratio')).toBe(DEFAULT_CANARY_POLICY.maxErrorRatio)
    expect(redFrom('Canary slow ratio')).toBe(DEFAULT_CANARY_POLICY.maxSlowRatio)
    expect(panel('Canary slow ratio').description).toContain(
      `slower than ${DEFAULT_CANARY_POLICY.latencyThresholdSeconds * 1000} ms`,
    )
  })

  it('reads every metric of the lifecycle', () => {
    const read = new Set(dashboardUsages({ lifecycle: board }).flatMap((u) => u.names))
    expect([...read].sort()).toEqual([
      'infera_canary_decisions_total',
      'infera_canary_elapsed_seconds',
      'infera_canary_error_ratio',
      'infera_canary_requests',
      'infera_canary_slow_ratio',
      'infera_drift_retrain_candidates_total',
      'infera_drift_retrain_jobs_total',
      'infera_gateway_route_weight',
      'infera_registry_served_version',
      'infera_registry_syncs_total',
      'infera_registry_transitions_total',
    ])
  })
})
