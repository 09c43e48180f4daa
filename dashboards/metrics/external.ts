// Metrics that dashboards and rules read but Infera's services do not export: what the cluster's
// exporters and Prometheus itself provide. Rules and panels name them through these constants, and
// the metrics test accepts exactly these besides what the services serve on /metrics.

/** NVIDIA's DCGM exporter: one series per GPU, labelled `gpu`, `UUID`, `modelName`, `Hostname`. */
export const DCGM = {
  /** GPU utilisation, percent. */
  gpuUtil: 'DCGM_FI_DEV_GPU_UTIL',
  /** Frame buffer memory used and free, MiB. */
  fbUsed: 'DCGM_FI_DEV_FB_USED',
  fbFree: 'DCGM_FI_DEV_FB_FREE',
  /** Degrees Celsius and watts. */
  gpuTemp: 'DCGM_FI_DEV_GPU_TEMP',
  powerUsage: 'DCGM_FI_DEV_POWER_USAGE',
} as const

/** kube-state-metrics: the cluster's objects as series. */
export const KUBE_STATE = {
  nodeInfo: 'kube_node_info',
  /** One series per pod, naming its node. */
  podInfo: 'kube_pod_info',
  nodeCondition: 'kube_node_status_condition',
  nodeAllocatable: 'kube_node_status_allocatable',
  podPhase: 'kube_pod_status_phase',
  containerRestarts: 'kube_pod_container_status_restarts_total',
} as const

/** Prometheus's node exporter on every node. */
export const NODE_EXPORTER = {
  cpuSeconds: 'node_cpu_seconds_total',
  memAvailable: 'node_memory_MemAvailable_bytes',
  memTotal: 'node_memory_MemTotal_bytes',
  /** The node's name (`nodename`), which its other series, labelled by `instance`, lack. */
  unameInfo: 'node_uname_info',
} as const

/** Series Prometheus writes itself. */
export const PROMETHEUS = {
  /** One series per pending or firing alert. */
  alerts: 'ALERTS',
} as const

export const EXTERNAL_METRICS: ReadonlySet<string> = new Set(
  [DCGM, KUBE_STATE, NODE_EXPORTER, PROMETHEUS].flatMap((source) => Object.values(source)),
)
