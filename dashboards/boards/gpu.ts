import { DCGM, KUBE_STATE, NODE_EXPORTER } from '../metrics/external.ts'
import {
  board,
  datasourceVariable,
  labelVariable,
  type PanelBuilder,
  singleStat,
  timeSeries,
} from '../panels/index.ts'
import { THRESHOLDS } from '../rules/thresholds.ts'

const onHost = 'Hostname=~"$Hostname"'
const gpu = '{{Hostname}} GPU {{gpu}}'
const inNamespace = 'namespace=~"$namespace"'

const gpus: PanelBuilder[] = [
  timeSeries({
    title: 'GPU utilisation',
    description: `Time the GPU was busy; the saturation alert fires above ${THRESHOLDS.gpuUtilPercent}% for 30 minutes.`,
    unit: 'percent',
    min: 0,
    max: 100,
    queries: [{ expr: `${DCGM.gpuUtil}{${onHost}}`, legend: gpu }],
    thresholds: { base: 'green', steps: [[THRESHOLDS.gpuUtilPercent, 'red']] },
  }),
  timeSeries({
    title: 'GPU memory used',
    description: 'Share of the frame buffer in use: models, their sessions and batches in flight.',
    unit: 'percentunit',
    min: 0,
    max: 1,
    queries: [
      {
        expr: `${DCGM.fbUsed}{${onHost}} / (${DCGM.fbUsed}{${onHost}} + ${DCGM.fbFree}{${onHost}})`,
        legend: gpu,
      },
    ],
    thresholds: { base: 'green', steps: [[THRESHOLDS.gpuMemoryRatio, 'red']] },
  }),
  timeSeries({
    title: 'GPU memory',
    description: 'Frame buffer in use (DCGM reports MiB).',
    unit: 'bytes',
    queries: [{ expr: `${DCGM.fbUsed}{${onHost}} * 1024 * 1024`, legend: gpu }],
  }),
  timeSeries({
    title: 'Temperature and power',
    description: 'GPU temperature (°C) and power draw (W).',
    unit: 'short',
    queries: [
      { expr: `${DCGM.gpuTemp}{${onHost}}`, legend: `${gpu} °C` },
      { expr: `${DCGM.powerUsage}{${onHost}}`, legend: `${gpu} W` },
    ],
  }),
]

const cluster: PanelBuilder[] = [
  singleStat({
    title: 'Nodes',
    description: 'Nodes in the cluster.',
    unit: 'none',
    queries: [{ expr: `count(${KUBE_STATE.nodeInfo})` }],
    thresholds: { base: 'blue' },
  }),
  singleStat({
    title: 'Nodes not ready',
    description: 'Nodes whose Ready condition is not true.',
    unit: 'none',
    queries: [
      {
        expr: `count(${KUBE_STATE.nodeCondition}{condition="Ready",status="true"} == 0) or vector(0)`,
      },
    ],
    thresholds: { base: 'green', steps: [[1, 'red']] },
  }),
  singleStat({
    title: 'GPUs allocatable',
    description: 'GPUs the nodes offer to pods (nvidia.com/gpu).',
    unit: 'none',
    queries: [{ expr: `sum(${KUBE_STATE.nodeAllocatable}{resource="nvidia_com_gpu"})` }],
    thresholds: { base: 'blue' },
  }),
  singleStat({
    title: 'Container restarts (1h)',
    description: 'Container restarts in the namespace over the last hour.',
    unit: 'none',
    queries: [
      { expr: `sum(increase(${KUBE_STATE.containerRestarts}{${inNamespace}}[1h])) or vector(0)` },
    ],
    thresholds: { base: 'green', steps: [[1, 'orange']] },
  }),
  timeSeries({
    title: 'Node CPU',
    description: 'Share of CPU time busy per node.',
    unit: 'percentunit',
    min: 0,
    max: 1,
    queries: [
      {
        expr: `1 - avg by (instance) (rate(${NODE_EXPORTER.cpuSeconds}{mode="idle"}[$__rate_interval]))`,
        legend: '{{instance}}',
      },
    ],
  }),
  timeSeries({
    title: 'Node memory',
    description: 'Share of memory in use per node.',
    unit: 'percentunit',
    min: 0,
    max: 1,
    queries: [
      {
        expr: `1 - ${NODE_EXPORTER.memAvailable} / ${NODE_EXPORTER.memTotal}`,
        legend: '{{instance}}',
      },
    ],
  }),
  timeSeries({
    title: 'Pods by phase',
    description: 'Pods in the namespace by phase.',
    unit: 'none',
    stack: 'normal',
    queries: [
      {
        expr: `sum by (phase) (${KUBE_STATE.podPhase}{${inNamespace}})`,
        legend: '{{phase}}',
      },
    ],
  }),
]

export const gpuDashboard = () =>
  board({
    uid: 'infera-gpu',
    title: 'Infera / GPU and cluster',
    description:
      'GPUs from the DCGM exporter; nodes and pods from kube-state-metrics and node exporter.',
    variables: [
      datasourceVariable(),
      labelVariable('Hostname', 'Host', DCGM.gpuUtil),
      labelVariable('namespace', 'Namespace', KUBE_STATE.podPhase),
    ],
    rows: [
      { title: 'GPUs', panels: gpus },
      { title: 'Cluster', panels: cluster },
    ],
  })
