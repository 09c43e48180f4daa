// k6 thresholds from the SLOs, so that a release that would break an objective fails its load
// test. Imports nothing k6 cannot load.
import { errorBudget, type SloService, slos } from '../dashboards/slo/index.ts'

/**
 * The thresholds of one service's SLOs: its availability as the share of failed requests (k6
 * counts any non-2xx/3xx answer, stricter than the SLI's 5xx), its latency as a percentile.
 */
export function sloThresholds(service: SloService): Record<string, string[]> {
  const thresholds: Record<string, string[]> = {}
  const add = (metric: string, expression: string) => {
    thresholds[metric] = [...(thresholds[metric] ?? []), expression]
  }
  for (const slo of slos.filter((s) => s.service === service)) {
    if (slo.sli.kind === 'availability') add('http_req_failed', `rate<${errorBudget(slo)}`)
    else add('http_req_duration', `p(${slo.objective * 100})<${slo.sli.thresholdSeconds * 1000}`)
  }
  return thresholds
}

/** Load tests go through the gateway: its SLOs are what users see. */
export const GATEWAY_THRESHOLDS = sloThresholds('gateway')
