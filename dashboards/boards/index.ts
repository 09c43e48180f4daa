import { driftDashboard } from './drift.ts'
import { gatewayDashboard } from './gateway.ts'
import { gpuDashboard } from './gpu.ts'
import { inferenceDashboard } from './inference.ts'
import { lifecycleDashboard } from './lifecycle.ts'
import { sloDashboard } from './slo.ts'

/** Every dashboard, by the base name of its file: classic Grafana dashboard JSON. */
export const buildDashboards = (): Record<string, object> => ({
  inference: inferenceDashboard(),
  drift: driftDashboard(),
  gateway: gatewayDashboard(),
  slo: sloDashboard(),
  gpu: gpuDashboard(),
  lifecycle: lifecycleDashboard(),
})
