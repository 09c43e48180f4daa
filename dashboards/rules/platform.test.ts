import { expect, it } from 'vitest'
import { BREAKER_STATE_VALUE } from '../../services/gateway/src/metrics/index.ts'
import { describeWith, installed } from '../../testing/tools/index.ts'
import { DCGM } from '../metrics/external.ts'
import { type AlertCase, itChecksAlertCases, promtoolTest } from '../testing/promtool.ts'
import { gatewayRuleGroup, gpuRuleGroup, WATCHDOG, watchdogRuleGroup } from './platform.ts'
import { THRESHOLDS } from './thresholds.ts'

const gateway = 'instance="gateway:8080",job="infera-gateway"'
const target = 'http://10.0.0.3:8080'
const { closed, open } = BREAKER_STATE_VALUE
const halfOpen = BREAKER_STATE_VALUE['half-open']
const dcgm = 'Hostname="gpu-node-1",gpu="0",UUID="GPU-1",modelName="NVIDIA L4"'
const gpu0 = { Hostname: 'gpu-node-1', gpu: '0' }

const cases: AlertCase[] = [
  {
    title: 'a breaker that keeps opening again after each probe',
    alert: 'InferaGatewayBreakerOpen',
    at: '10m',
    series: {
      [`infera_gateway_breaker_state{${gateway},target="${target}"}`]: `${closed} ${open} ${halfOpen} ${open} ${halfOpen} ${open} ${halfOpen} ${open} ${halfOpen} ${open} ${open}`,
      [`infera_gateway_breaker_state{${gateway},target="http://10.0.0.4:8080"}`]: `${closed}x10`,
    },
    fires: [{ target }],
  },
  {
    title: 'a breaker that opened and closed again',
    alert: 'InferaGatewayBreakerOpen',
    at: '10m',
    series: {
      [`infera_gateway_breaker_state{${gateway},target="${target}"}`]: `${open}x4 ${halfOpen} ${closed}x5`,
    },
    fires: [],
  },
  {
    title: 'a GPU busy for half an hour',
    alert: 'InferaGpuSaturated',
    at: '40m',
    series: { [`${DCGM.gpuUtil}{${dcgm}}`]: `${THRESHOLDS.gpuUtilPercent + 4}x40` },
    fires: [gpu0],
  },
  {
    title: 'a GPU busy in bursts',
    alert: 'InferaGpuSaturated',
    at: '40m',
    series: { [`${DCGM.gpuUtil}{${dcgm}}`]: '100x10 40x10 100x10 40x10' },
    fires: [],
  },
  {
    title: 'GPU memory nearly full',
    alert: 'InferaGpuMemoryHigh',
    at: '20m',
    series: {
      [`${DCGM.fbUsed}{${dcgm}}`]: '22000x20',
      [`${DCGM.fbFree}{${dcgm}}`]: '1000x20',
    },
    fires: [gpu0],
  },
  {
    title: 'GPU memory with room',
    alert: 'InferaGpuMemoryHigh',
    at: '20m',
    series: {
      [`${DCGM.fbUsed}{${dcgm}}`]: '8000x20',
      [`${DCGM.fbFree}{${dcgm}}`]: '15000x20',
    },
    fires: [],
  },
  // A dead-man's switch has no quiet case: it fires whenever rules are evaluated at all.
  { title: 'the watchdog', alert: WATCHDOG, at: '1m', series: {}, fires: [{}] },
]

describeWith(installed('promtool'), 'platform alerts under promtool test rules', (tools) => {
  const groups = [gatewayRuleGroup(), gpuRuleGroup(), watchdogRuleGroup()]

  itChecksAlertCases(tools.promtool, groups, cases, [WATCHDOG])

  it('fails a case whose expectation is wrong (the harness can fail)', async () => {
    const wrong = {
      title: 'the watchdog, silent',
      alert: WATCHDOG,
      at: '1m',
      series: {},
      fires: [],
    }
    const result = await promtoolTest(tools.promtool, [watchdogRuleGroup()], [wrong])
    expect(result.output).toContain('FAILED')
    expect(result.status).toBe(1)
  })
})
