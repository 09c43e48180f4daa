import { describe, expect, it } from 'vitest'
import { createGatewayMetrics } from '../../../metrics/index.ts'
import { GAUGE_RULES, mergeExpositions } from './metrics.ts'

/** One worker's exposition, written by the gateway's own registry. */
function worker(record: (metrics: ReturnType<typeof createGatewayMetrics>) => void) {
  const metrics = createGatewayMetrics()
  record(metrics)
  return metrics.registry.expose()
}

const line = (text: string, series: string) =>
  text.split('\n').find((l) => l.startsWith(`${series} `))

describe('mergeExpositions', () => {
  it('adds counters and histograms series by series, and keeps series only one worker has', () => {
    const a = worker((m) => {
      m.requests.inc({ route: 'tiny', tenant: 'acme', variant: 'stable', status: '200' }, 3)
      m.requestDuration.observe({ route: 'tiny', variant: 'stable' }, 0.002)
    })
    const b = worker((m) => {
      m.requests.inc({ route: 'tiny', tenant: 'acme', variant: 'stable', status: '200' }, 4)
      m.requests.inc({ route: 'tiny', tenant: 'acme', variant: 'stable', status: '429' })
      m.requestDuration.observe({ route: 'tiny', variant: 'stable' }, 0.2)
    })
    const merged = mergeExpositions([a, b])
    const requests = 'infera_gateway_requests_total{route="tiny",tenant="acme",variant="stable"'
    expect(line(merged, `${requests},status="200"}`)).toMatch(/ 7$/)
    expect(line(merged, `${requests},status="429"}`)).toMatch(/ 1$/)
    const duration = 'infera_gateway_request_duration_seconds'
    expect(line(merged, `${duration}_bucket{route="tiny",variant="stable",le="0.005"}`)).toMatch(
      / 1$/,
    )
    expect(line(merged, `${duration}_bucket{route="tiny",variant="stable",le="+Inf"}`)).toMatch(
      / 2$/,
    )
    expect(line(merged, `${duration}_count{route="tiny",variant="stable"}`)).toMatch(/ 2$/)
    expect(line(merged, `${duration}_sum{route="tiny",variant="stable"}`)).toMatch(/ 0\.202$/)
    // Each family's HELP and TYPE once, as one worker wrote them.
    expect(merged.match(/^# TYPE infera_gateway_requests_total counter$/gm)).toHaveLength(1)
  })

  it('merges each gauge by its rule: breaker state worst, health least, weights as they are', () => {
    const a = worker((m) => {
      m.breakerState.set({ target: 'http://a' }, 2)
      m.upstreamHealthy.set({ target: 'http://a' }, 1)
      m.routeWeight.set({ route: 'tiny', variant: 'canary', version: '2' }, 10)
    })
    const b = worker((m) => {
      m.breakerState.set({ target: 'http://a' }, 0)
      m.upstreamHealthy.set({ target: 'http://a' }, 0)
      m.routeWeight.set({ route: 'tiny', variant: 'canary', version: '2' }, 10)
    })
    const merged = mergeExpositions([a, b])
    expect(line(merged, 'infera_gateway_breaker_state{target="http://a"}')).toMatch(/ 2$/)
    expect(line(merged, 'infera_gateway_upstream_healthy{target="http://a"}')).toMatch(/ 0$/)
    expect(
      line(merged, 'infera_gateway_route_weight{route="tiny",variant="canary",version="2"}'),
    ).toMatch(/ 10$/)
  })

  it('has a rule for every gauge the gateway exports', () => {
    const gauges = [...worker(() => {}).matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1])
    expect(gauges.length).toBeGreaterThan(0)
    for (const gauge of gauges) expect(GAUGE_RULES).toHaveProperty([gauge as string])
  })

  it('refuses a gauge it has no rule for rather than adding it up', () => {
    const text = '# TYPE mystery gauge\nmystery 1\n'
    expect(() => mergeExpositions([text, text])).toThrow(/no rule to merge gauge mystery/)
  })
})
