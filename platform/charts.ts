import * as k8s from '@pulumi/kubernetes'
import type * as pulumi from '@pulumi/pulumi'

/**
 * A Helm chart at one version: upgrades are a reviewed change to this table. The versions were
 * the newest published releases found in December 2026 (docs/platform.md lists how they were
 * checked); `helm search repo <chart> --versions` shows newer ones.
 */
export interface ChartRef {
  chart: string
  version: string
  repo: string
}

export const CHARTS = {
  nvidiaDevicePlugin: {
    chart: 'nvidia-device-plugin',
    version: '0.20.0',
    repo: 'https://nvidia.github.io/k8s-device-plugin',
  },
  clusterAutoscaler: {
    chart: 'cluster-autoscaler',
    version: '9.59.0',
    repo: 'https://kubernetes.github.io/autoscaler',
  },
  metricsServer: {
    chart: 'metrics-server',
    version: '3.13.1',
    repo: 'https://kubernetes-sigs.github.io/metrics-server/',
  },
  kubePrometheusStack: {
    chart: 'kube-prometheus-stack',
    version: '88.5.3',
    repo: 'https://prometheus-community.github.io/helm-charts',
  },
  dcgmExporter: {
    chart: 'dcgm-exporter',
    version: '4.8.3',
    repo: 'https://nvidia.github.io/dcgm-exporter/helm-charts',
  },
} as const satisfies Record<string, ChartRef>

export interface ReleaseArgs {
  /** The Helm release's name; without it Pulumi would add a random suffix to every object. */
  name: string
  namespace: pulumi.Input<string>
  values: pulumi.Input<Record<string, unknown>>
}

/** A Helm release of a pinned chart. */
export function helmRelease(
  resourceName: string,
  ref: ChartRef,
  args: ReleaseArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    resourceName,
    {
      name: args.name,
      namespace: args.namespace,
      chart: ref.chart,
      version: ref.version,
      repositoryOpts: { repo: ref.repo },
      values: args.values,
      // Roll back a failed upgrade rather than leave a half-applied release behind.
      atomic: true,
      cleanupOnFail: true,
      timeout: 900,
    },
    opts,
  )
}
