// The lifecycle end to end, as `npm run demo:drift` runs it: a real platform (registry, drift,
// inference, gateway, canary controller) in a child process, real traffic whose season shifts.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { THRESHOLDS } from '../dashboards/rules/thresholds.ts'
import type { DriftDemoResult } from './local/drift-demo.ts'

const run = promisify(execFile)

describe('infera demo drift (npm run demo:drift)', () => {
  it('detects the drift, retrains, gates and canaries the new version, and promotes it without a failed request', async () => {
    const { stdout } = await run(
      process.execPath,
      ['bin/infera.js', 'demo', 'drift', '--json', '--canary-seconds', '5'],
      { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
    )
    const result = JSON.parse(stdout) as DriftDemoResult

    expect(result.requests.failed).toBe(0)
    // Traffic like the training data: no dataset drift; the winter after: drift, window on window.
    expect(result.baseline?.drift.dataset_drift).toBe(false)
    expect(result.shifted.length).toBeGreaterThanOrEqual(2)
    expect(result.shifted.at(-1)?.drift.dataset_drift).toBe(true)
    expect(result.shifted.at(-1)?.drift.features.temp_max?.drifted).toBe(true)

    // The drift alert fires on the windows that start the retraining.
    expect(result.streak).toBeGreaterThanOrEqual(THRESHOLDS.driftWindows)
    expect(result.job).toMatchObject({ status: 'completed', version: '1' })
    expect(result.candidate).toBe(2)
    expect(result.outcome).toBe('promoted')
    expect(result.production).toBe(2)
    // Version 2 is watched against its own reference: its training rows, the winter's among them.
    expect(result.after?.version).toBe('2')
    expect(result.after?.reference_rows).toBeGreaterThan(result.baseline?.reference_rows as number)

    // Each step counted where dashboards and alerts read it.
    expect(result.metrics).toMatchObject({
      'infera_drift_retrain_jobs_total{status="completed"}': 1,
      'infera_drift_retrain_candidates_total{gate="passed"}': 1,
      // Version 1's seeding, and version 2.
      'infera_registry_transitions_total{action="register"}': 2,
      'infera_registry_transitions_total{action="promote"}': 2,
      'infera_canary_decisions_total{verdict="promote"}': 1,
    })
    expect(result.metrics?.['infera_gateway_requests_total{variant="canary"}']).toBeGreaterThan(0)
    const trail = result.audit.map((e) => [e.actor, e.action, e.version])
    expect(trail).toEqual([
      ['infera start', 'register', 1],
      ['infera start', 'promote', 1],
      // The drift service's credential, not an actor it names.
      ['drift-retrainer', 'register', 2],
      ['drift-retrainer', 'set_alias', 2],
      ['canary-controller', 'remove_alias', 2],
      ['canary-controller', 'promote', 2],
    ])
  }, 320_000)
})
