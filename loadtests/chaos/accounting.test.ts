import { describe, expect, it } from 'vitest'
import {
  countTraffic,
  type FaultClass,
  type FaultResult,
  formatLine,
  formatSummary,
  judge,
  type Sample,
  summary,
} from './accounting.ts'

const ok = (n: number, ms = 10): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ model: 'mpg', status: 200, ms: ms + (i % 10) }))
const failing = (n: number, status: number): Sample[] =>
  Array.from({ length: n }, () => ({ model: 'mpg', status, ms: 5 }))

function fault(
  samples: Sample[],
  {
    cls = 'replica-left' as FaultClass,
    drift = { accepted: 10, kept: 10 },
    registry = { accepted: 4, kept: 4 },
    extra = [] as FaultResult['extra'],
  } = {},
): FaultResult {
  const counted = {
    fault: 'some-fault',
    class: cls,
    seconds: 5,
    traffic: countTraffic(samples),
    drift,
    driftRefused: {},
    captureDropped: {},
    registry,
    rssMb: 600,
    extra,
  }
  return { ...counted, ...judge(counted) }
}

const missed = (result: FaultResult) => result.checks.filter((c) => !c.ok).map((c) => c.what)

describe('countTraffic', () => {
  it('counts non-2xx/3xx answers and connection errors as failed, by status', () => {
    const counts = countTraffic([
      ...ok(97),
      ...failing(2, 503),
      ...failing(1, 0),
      ...failing(1, 302),
    ])
    expect(counts).toMatchObject({ sent: 101, failed: 3, failures: { 503: 2, 0: 1 } })
  })

  it('takes p99 over every answer, failed ones included', () => {
    const samples = [...ok(99, 10), { model: 'mpg', status: 504, ms: 5000 }]
    expect(countTraffic(samples).p99Ms).toBeGreaterThan(19)
    expect(countTraffic([]).p99Ms).toBe(0)
  })
})

describe('judge', () => {
  it('allows no failed request while a healthy replica remains', () => {
    expect(fault(ok(1000)).ok).toBe(true)
    const one = fault([...ok(9999), ...failing(1, 503)])
    expect(one.ok).toBe(false)
    expect(missed(one)).toEqual(['0 failed requests'])
  })

  it('allows under 0.1% failed when an inference process is killed', () => {
    const killed = { cls: 'replica-killed' as FaultClass }
    expect(fault([...ok(1999), ...failing(1, 0)], killed).ok).toBe(true)
    const over = fault([...ok(997), ...failing(3, 502)], killed)
    expect(over.ok).toBe(false)
    expect(missed(over)).toEqual(['< 0.1% failed requests'])
  })

  it('counts drift rows lost against every fault but a killed process', () => {
    const drift = { accepted: 100, kept: 99 }
    expect(missed(fault(ok(100), { drift }))).toEqual(['0 drift rows lost'])
    // Rows buffered in the killed process die with it: reported, not judged.
    expect(fault(ok(100), { cls: 'replica-killed', drift }).ok).toBe(true)
    // Late rows of an earlier fault are no loss.
    expect(fault(ok(100), { drift: { accepted: 100, kept: 130 } }).ok).toBe(true)
  })

  it('allows no accepted registry write to go missing, whatever the fault', () => {
    for (const cls of ['replica-left', 'replica-killed'] as const) {
      const result = fault(ok(100), { cls, registry: { accepted: 5, kept: 4 } })
      expect(missed(result)).toEqual(['0 registry writes lost'])
    }
  })

  it("adds the fault's own checks, and fails a fault that sent nothing", () => {
    const extra = [{ what: 'version 3 served on every replica once complete', ok: false }]
    expect(missed(fault(ok(10), { extra }))).toEqual([extra[0]?.what])
    expect(missed(fault([]))).toEqual(['traffic was sent'])
  })
})

describe('formatLine and summary', () => {
  it('prints the figures and the targets missed on one line', () => {
    const line = formatLine(
      fault([...ok(998), ...failing(2, 503)], { registry: { accepted: 9, kept: 8 } }),
    )
    expect(line).toMatch(/^FAIL some-fault +sent +1000 +failed +2 \(0\.20% 503×2\)/)
    expect(line).toContain('registry lost 1/9')
    expect(line).toContain('missed: 0 failed requests; 0 registry writes lost')
    expect(line).not.toContain('\n')
    const refused = {
      ...fault(ok(10)),
      drift: { accepted: 5, kept: 1 },
      driftRefused: { 502: 3 },
      captureDropped: { retry_buffer_full: 1 },
    }
    expect(formatLine(refused)).toContain(
      'drift lost 4/5 (drift answered 502×3) (inference dropped retry_buffer_full×1)',
    )
  })

  it('passes only when every fault met its targets', () => {
    const good = fault(ok(10))
    const bad = { ...fault(failing(1, 0)), fault: 'drift-down' }
    expect(summary([good])).toMatchObject({ ok: true, failedFaults: [] })
    const both = summary([good, bad])
    expect(both).toMatchObject({ ok: false, failedFaults: ['drift-down'], sent: 11, failed: 1 })
    expect(formatSummary(both)).toMatch(/^1 of 2 faults missed a target: drift-down/)
    expect(summary([]).ok).toBe(false)
    const killed = fault(ok(10), { cls: 'replica-killed', drift: { accepted: 10, kept: 8 } })
    const lostRows = summary([killed, fault(ok(10), { drift: { accepted: 10, kept: 9 } })])
    expect(lostRows).toMatchObject({ driftLost: 1, driftLostWithKilled: 2 })
    expect(formatSummary(lostRows)).toContain('drift rows lost 1 (+2 with a killed process)')
  })
})
