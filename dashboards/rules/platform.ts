// Alerts on what the models run on: the gateway's upstreams, the GPUs (DCGM exporter), and the
// alerting pipeline itself.
import { BREAKER_STATE_VALUE } from '../../services/gateway/src/metrics/index.ts'
import { DCGM } from '../metrics/external.ts'
import { THRESHOLDS } from './thresholds.ts'
import type { RuleGroup } from './types.ts'

export const gatewayRuleGroup = (): RuleGroup => ({
  name: 'infera-gateway',
  rules: [
    {
      alert: 'InferaGatewayBreakerOpen',
      // An open breaker turns half-open for one probe and opens again while the target fails:
      // "not closed at any scrape" is what stays true through that.
      expr: `max by (target) (min_over_time(infera_gateway_breaker_state[5m])) >= ${BREAKER_STATE_VALUE['half-open']}`,
      labels: { severity: 'ticket', service: 'gateway' },
      annotations: {
        summary: 'The gateway has stopped sending requests to {{ $labels.target }}',
        description:
          "The circuit breaker of upstream {{ $labels.target }} has not closed for 5 minutes: the target keeps failing, and the gateway sends its traffic to the variant's other targets.",
      },
    },
  ],
})

const gpuMemoryUsed = `${DCGM.fbUsed} / (${DCGM.fbUsed} + ${DCGM.fbFree})`

export const gpuRuleGroup = (): RuleGroup => ({
  name: 'infera-gpu',
  rules: [
    {
      alert: 'InferaGpuSaturated',
      expr: `max by (Hostname, gpu) (avg_over_time(${DCGM.gpuUtil}[30m])) > ${THRESHOLDS.gpuUtilPercent}`,
      labels: { severity: 'ticket', service: 'gpu' },
      annotations: {
        summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is saturated',
        description: `GPU {{ $labels.gpu }} has been over ${THRESHOLDS.gpuUtilPercent}% busy for 30 minutes: requests queue behind it. Add GPU nodes or replicas.`,
      },
    },
    {
      alert: 'InferaGpuMemoryHigh',
      expr: `max by (Hostname, gpu) (${gpuMemoryUsed}) > ${THRESHOLDS.gpuMemoryRatio}`,
      for: '15m',
      labels: { severity: 'ticket', service: 'gpu' },
      annotations: {
        summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is running out of memory',
        description: `Over ${THRESHOLDS.gpuMemoryRatio * 100}% of GPU {{ $labels.gpu }}'s memory has been in use for 15 minutes: another model version or a larger batch may not fit.`,
      },
    },
  ],
})

export const WATCHDOG = 'InferaWatchdog'

export const watchdogRuleGroup = (): RuleGroup => ({
  name: 'infera-watchdog',
  rules: [
    {
      alert: WATCHDOG,
      expr: 'vector(1)',
      labels: { severity: 'none', service: 'prometheus' },
      annotations: {
        summary: 'The alerting pipeline is alive',
        description:
          "Always firing, so that an external dead-man's switch that stops hearing it knows Prometheus or Alertmanager is down.",
      },
    },
  ],
})
