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

// One node variable for GPUs and cluster alike: the DCGM exporter's chart gives it the node's
// name (NODE_NAME) as `Hostname`, kube-state-metrics labels it `node`, node exporter `nodename`.
const onNode = 'node=~"$node"'
const onHost = 'Hostname=~"$node"'
const gpu = '{{Hostname}} GPU {{gpu}}'
const inNamespace = 'namespace=~"$namespace"'

/** Node exporter's series (labelled by `instance` alone) of the selected nodes, with their names. */
const ofSelectedNodes = (expr: string) =>
  `${expr} * on (instance) group_left (nodename) ${NODE_EXPORTER.unameInfo}{nodename=~"$node"}`

/** Pod series of the pods on the selected nodes: only kube_pod_info names a pod's node. */
const podsOnSelectedNodes = (expr: string) =>
  `(${expr} and on (namespace, pod) ${KUBE_STATE.podInfo}{${onNode}})`

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
    description: 'GPU temperature in °C (left axis) and power draw in W (right axis).',
    unit: 'celsius',
    queries: [
      { expr: `${DCGM.gpuTemp}{${onHost}}`, legend: `${gpu} temperature` },
      { expr: `${DCGM.powerUsage}{${onHost}}`, legend: `${gpu} power`, unit: 'watt' },
    ],
  }),
]

const cluster: PanelBuilder[] = [
  singleStat({
    title: 'Nodes',
    description: 'Nodes in the cluster (of those selected).',
    unit: 'none',
    queries: [{ expr: `count(${KUBE_STATE.nodeInfo}{${onNode}})` }],
    thresholds: { base: 'blue' },
  }),
  singleStat({
    title: 'Nodes not ready',
    description: 'Nodes whose Ready condition is not true.',
    unit: 'none',
    queries: [
      {
        expr: `count(${KUBE_STATE.nodeCondition}{condition="Ready",status="true",${onNode}} == 0) or vector(0)`,
      },
    ],
    thresholds: { base: 'green', steps: [[1, 'red']] },
  }),
  singleStat({
    title: 'GPUs allocatable',
    description: 'GPUs the nodes offer to pods (nvidia.com/gpu).',
    unit: 'none',
    queries: [{ expr: `sum(${KUBE_STATE.nodeAllocatable}{resource="nvidia_com_gpu",${onNode}})` }],
    thresholds: { base: 'blue' },
  }),
  singleStat({
    title: 'Container restarts (1h)',
    description: "Container restarts over the last hour in the namespace's pods on the nodes.",
    unit: 'none',
    queries: [
      {
        expr: `sum${podsOnSelectedNodes(`increase(${KUBE_STATE.containerRestarts}{${inNamespace}}[1h])`)} or vector(0)`,
      },
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
        expr: `1 - avg by (nodename) (${ofSelectedNodes(`rate(${NODE_EXPORTER.cpuSeconds}{mode="idle"}[$__rate_interval])`)})`,
        legend: '{{nodename}}',
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
        expr: ofSelectedNodes(`(1 - ${NODE_EXPORTER.memAvailable} / ${NODE_EXPORTER.memTotal})`),
        legend: '{{nodename}}',
      },
    ],
  }),
  timeSeries({
    title: 'Pods by phase',
    description: "The namespace's pods on the nodes, by phase.",
    unit: 'none',
    stack: 'normal',
    queries: [
      {
        expr: `sum by (phase) ${podsOnSelectedNodes(`${KUBE_STATE.podPhase}{${inNamespace}}`)}`,
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
      labelVariable('node', 'Node', KUBE_STATE.nodeInfo),
      labelVariable('namespace', 'Namespace', KUBE_STATE.podPhase),
    ],
    rows: [
      { title: 'GPUs', panels: gpus },
      { title: 'Cluster', panels: cluster },
    ],
  })
