// Per-fault accounting: what the traffic saw while a fault was in force, what the drift service and
// the registry lost, and whether the issue's targets held. Pure, so the judging is tested alone.
import { percentile } from '../gate/thresholds.ts'

/** One request the traffic sent: status 0 is a connection error or the client's own timeout. */
export interface Sample {
  model: string
  status: number
  ms: number
}

/**
 * How much failure a fault may cause. `replica-left`: a healthy replica remains (model swaps,
 * corrupt uploads, drift, registry, PostgreSQL, Redis, capture faults), so nothing may fail.
 * `replica-killed`: only requests in flight on the killed process may fail (< 0.1%).
 */
export type FaultClass = 'replica-left' | 'replica-killed'

export const KILLED_FAILURE_BUDGET = 0.001

export interface TrafficCounts {
  sent: number
  failed: number
  p99Ms: number
  /** Failed answers by status ("0" for connection errors and timeouts), the first few only. */
  failures: Record<string, number>
}

/** Accepted vs kept: drift rows (served predictions vs rows ingested), registry writes. */
export interface Kept {
  accepted: number
  kept: number
}

export interface Check {
  what: string
  ok: boolean
}

export interface FaultResult {
  fault: string
  class: FaultClass
  seconds: number
  traffic: TrafficCounts
  drift: Kept
  /** Rows drift didn't acknowledge, by its answer (502: it couldn't be reached): why rows were lost. */
  driftRefused: Record<string, number>
  /** Rows the inference servers dropped instead of sending, by reason (their own counter). */
  captureDropped: Record<string, number>
  registry: Kept
  /** The platform's processes' resident memory once the fault is over, in MB: it must come back down. */
  rssMb: number
  /** Fault-specific checks (a version loaded once complete, a breaker opened, …). */
  extra: Check[]
  checks: Check[]
  ok: boolean
}

export const failed = (status: number) => status < 200 || status >= 400

export function countTraffic(samples: readonly Sample[]): TrafficCounts {
  const failures: Record<string, number> = {}
  let failedCount = 0
  for (const { status } of samples) {
    if (!failed(status)) continue
    failedCount += 1
    failures[status] = (failures[status] ?? 0) + 1
  }
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b)
  return {
    sent: samples.length,
    failed: failedCount,
    p99Ms: sorted.length ? percentile(sorted, 99) : 0,
    failures,
  }
}

export const lost = ({ accepted, kept }: Kept) => Math.max(0, accepted - kept)

/** The issue's targets for one fault, with any checks of its own. */
export function judge(
  fault: Omit<FaultResult, 'checks' | 'ok'>,
): Pick<FaultResult, 'checks' | 'ok'> {
  const { traffic } = fault
  const ratio = traffic.sent ? traffic.failed / traffic.sent : 0
  const checks: Check[] = [
    { what: 'traffic was sent', ok: traffic.sent > 0 },
    fault.class === 'replica-left'
      ? { what: '0 failed requests', ok: traffic.failed === 0 }
      : {
          what: `< ${KILLED_FAILURE_BUDGET * 100}% failed requests`,
          ok: ratio < KILLED_FAILURE_BUDGET,
        },
    { what: '0 registry writes lost', ok: lost(fault.registry) === 0 },
    ...fault.extra,
  ]
  // Rows a killed process had captured but not yet sent die with it: reported, not judged.
  if (fault.class === 'replica-left') {
    checks.push({ what: '0 drift rows lost', ok: lost(fault.drift) === 0 })
  }
  return { checks, ok: checks.every((c) => c.ok) }
}

const byStatus = (counts: Record<string, number>, connection = 'conn') =>
  Object.entries(counts)
    .map(([status, n]) => `${status === '0' ? connection : status}×${n}`)
    .join(' ')

const pct = (part: number, whole: number) =>
  whole ? `${((part / whole) * 100).toFixed(part && part < whole / 1000 ? 3 : 2)}%` : '0%'

/** The fault's one line: requests sent and failed, p99, what was lost, and any missed target. */
export function formatLine(result: FaultResult): string {
  const { traffic, drift, registry } = result
  const statuses = byStatus(traffic.failures)
  const refused = byStatus(result.driftRefused)
  const dropped = byStatus(result.captureDropped)
  const missed = result.checks.filter((c) => !c.ok).map((c) => c.what)
  return [
    `${result.ok ? 'PASS' : 'FAIL'} ${result.fault.padEnd(22)}`,
    `sent ${String(traffic.sent).padStart(5)}`,
    `failed ${String(traffic.failed).padStart(4)} (${pct(traffic.failed, traffic.sent)}${statuses ? ` ${statuses}` : ''})`,
    `p99 ${traffic.p99Ms.toFixed(0)} ms`,
    [
      `drift lost ${lost(drift)}/${drift.accepted}`,
      ...(refused ? [`(drift answered ${refused})`] : []),
      ...(dropped ? [`(inference dropped ${dropped})`] : []),
    ].join(' '),
    `registry lost ${lost(registry)}/${registry.accepted}`,
    `rss ${result.rssMb.toFixed(0)} MB`,
    ...(missed.length ? [`missed: ${missed.join('; ')}`] : []),
  ].join('  ')
}

export function summary(results: readonly FaultResult[]) {
  const failedFaults = results.filter((r) => !r.ok).map((r) => r.fault)
  const total = (pick: (r: FaultResult) => number) => results.reduce((s, r) => s + pick(r), 0)
  return {
    ok: failedFaults.length === 0 && results.length > 0,
    faults: results.length,
    failedFaults,
    sent: total((r) => r.traffic.sent),
    failed: total((r) => r.traffic.failed),
    driftLost: total((r) => (r.class === 'replica-left' ? lost(r.drift) : 0)),
    /** Rows that died with a killed process's capture buffer: reported, not judged. */
    driftLostWithKilled: total((r) => (r.class === 'replica-killed' ? lost(r.drift) : 0)),
    registryLost: total((r) => lost(r.registry)),
  }
}

export function formatSummary(s: ReturnType<typeof summary>): string {
  const verdict = s.ok
    ? `all ${s.faults} faults met their targets`
    : `${s.failedFaults.length} of ${s.faults} faults missed a target: ${s.failedFaults.join(', ')}`
  const withKilled = s.driftLostWithKilled
    ? ` (+${s.driftLostWithKilled} with a killed process)`
    : ''
  return `${verdict}; ${s.sent} requests, ${s.failed} failed; drift rows lost ${s.driftLost}${withKilled}; registry writes lost ${s.registryLost}`
}
