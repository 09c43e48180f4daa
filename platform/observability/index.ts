import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import * as random from '@pulumi/random'
import {
  type AlertReceivers,
  buildAlertmanagerConfig,
  buildDashboards,
  buildPrometheusRule,
} from '../../dashboards/index.ts'
import { CHARTS, helmRelease } from '../charts.ts'
import { GPU_NODE_LABEL, GPU_TAINT, SYSTEM_NODE_LABEL } from '../cluster/index.ts'
import type { PlatformConfig } from '../config/index.ts'
import { SAFE_TO_EVICT } from '../services/pod.ts'

export const NAMESPACE = 'monitoring'
/**
 * The kube-prometheus-stack release. Prometheus selects ServiceMonitors and PrometheusRules
 * labelled `release: <this>` (the chart's default selectors), so everything the platform adds
 * carries that label.
 */
export const RELEASE = 'kube-prometheus-stack'
export const MONITORING_LABELS = { release: RELEASE } as const
/** The chart's Prometheus Service (`<release>-prometheus`), for what reads metrics in the cluster. */
export const PROMETHEUS_URL = `http://${RELEASE}-prometheus.${NAMESPACE}.svc.cluster.local:9090`
/** The label (and value) Grafana's sidecar loads dashboard ConfigMaps by. */
export const DASHBOARD_LABEL = { grafana_dashboard: '1' } as const

const GRAFANA_ADMIN_SECRET = 'grafana-admin'

export interface ObservabilityArgs {
  config: PlatformConfig['observability']
  secrets: PlatformConfig['secrets']
  provider: k8s.Provider
  /** The StorageClass Prometheus's and Alertmanager's volumes use. */
  storageClass: k8s.storage.v1.StorageClass
}

/**
 * Monitoring: kube-prometheus-stack (Prometheus, Alertmanager with the stack's receivers, Grafana
 * loading dashboards from labelled ConfigMaps), NVIDIA's DCGM exporter on the GPU nodes, and the
 * dashboards and alert rules of `dashboards/`, generated from the same code that builds them.
 */
export class Observability extends pulumi.ComponentResource {
  /** What ServiceMonitors and PrometheusRules need first: the operator's CRDs. */
  readonly ready: pulumi.Resource[]

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Observability', name, {}, opts)
    const onCluster = { parent: this, provider: args.provider }
    const namespace = new k8s.core.v1.Namespace(
      `${name}-${NAMESPACE}`,
      { metadata: { name: NAMESPACE } },
      onCluster,
    )
    const inNamespace = { ...onCluster, dependsOn: [namespace] }

    const adminPassword = new random.RandomPassword(
      `${name}-grafana-admin`,
      { length: 32, special: false },
      { parent: this },
    )
    // The chart's Grafana reads it at start: it must exist before the release installs.
    const grafanaAdmin = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: GRAFANA_ADMIN_SECRET, namespace: NAMESPACE },
        stringData: { 'admin-user': 'admin', 'admin-password': adminPassword.result },
      },
      inNamespace,
    )

    const storage = (size: string) => ({
      volumeClaimTemplate: {
        spec: {
          storageClassName: args.storageClass.metadata.name,
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: size } },
        },
      },
    })
    const stack = helmRelease(
      `${name}-kube-prometheus-stack`,
      CHARTS.kubePrometheusStack,
      {
        name: RELEASE,
        namespace: NAMESPACE,
        values: {
          // Helm installs CRDs only on first install; this job applies the chart's CRDs on every
          // upgrade, so a new operator never runs against old CRDs.
          crds: { enabled: true, upgradeJob: { enabled: true, nodeSelector: SYSTEM_NODE_LABEL } },
          ...EKS_HIDDEN_CONTROL_PLANE,
          prometheusOperator: { nodeSelector: SYSTEM_NODE_LABEL },
          'kube-state-metrics': { nodeSelector: SYSTEM_NODE_LABEL },
          prometheus: {
            prometheusSpec: {
              retention: args.config.prometheusRetention,
              storageSpec: storage(`${args.config.prometheusStorageGb}Gi`),
              nodeSelector: SYSTEM_NODE_LABEL,
              resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } },
            },
          },
          alertmanager: {
            // Secrets inside (routing keys, webhook URLs): the values are a Pulumi secret.
            config: alertmanagerConfig(args.config, args.secrets),
            alertmanagerSpec: { storage: storage('5Gi'), nodeSelector: SYSTEM_NODE_LABEL },
          },
          grafana: {
            admin: {
              existingSecret: GRAFANA_ADMIN_SECRET,
              userKey: 'admin-user',
              passwordKey: 'admin-password',
            },
            nodeSelector: SYSTEM_NODE_LABEL,
            // Its database and the sidecar's dashboards are emptyDirs, rebuilt at start: they must
            // not keep the cluster autoscaler from removing its node.
            podAnnotations: { [SAFE_TO_EVICT]: 'true' },
            sidecar: {
              dashboards: {
                enabled: true,
                label: Object.keys(DASHBOARD_LABEL)[0],
                labelValue: DASHBOARD_LABEL.grafana_dashboard,
                searchNamespace: 'ALL',
                folderAnnotation: 'grafana_folder',
                provider: { foldersFromFilesStructure: true },
              },
            },
          },
        },
      },
      { ...inNamespace, dependsOn: [namespace, args.storageClass, grafanaAdmin] },
    )
    const afterStack = { ...inNamespace, dependsOn: [stack] }

    helmRelease(
      `${name}-dcgm-exporter`,
      CHARTS.dcgmExporter,
      {
        name: 'dcgm-exporter',
        namespace: NAMESPACE,
        values: {
          nodeSelector: GPU_NODE_LABEL,
          tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }],
          serviceMonitor: { enabled: true, additionalLabels: MONITORING_LABELS },
        },
      },
      afterStack,
    )

    for (const [file, dashboard] of Object.entries(buildDashboards())) {
      const configMapName = `dashboard-${file.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`
      new k8s.core.v1.ConfigMap(
        `${name}-${configMapName}`,
        {
          metadata: {
            name: configMapName,
            namespace: NAMESPACE,
            labels: DASHBOARD_LABEL,
            annotations: { grafana_folder: 'Infera' },
          },
          data: { [`${file}.json`]: JSON.stringify(dashboard) },
        },
        inNamespace,
      )
    }

    const rule = buildPrometheusRule({
      name: 'infera',
      namespace: NAMESPACE,
      labels: MONITORING_LABELS,
    }) as k8s.apiextensions.CustomResourceArgs
    new k8s.apiextensions.CustomResource(`${name}-rules`, rule, afterStack)

    this.ready = [stack]
    this.registerOutputs({})
  }
}

/**
 * EKS runs the control plane out of the cluster's reach: the controller manager, scheduler and
 * etcd expose no endpoint to scrape, and kube-proxy binds its metrics to the node's loopback (EKS's default). The
 * chart scrapes them by default, and their Down alerts would fire forever; so neither the scrape
 * nor those rules (nor their dashboards) exist.
 */
export const EKS_HIDDEN_CONTROL_PLANE = {
  kubeControllerManager: { enabled: false },
  kubeScheduler: { enabled: false },
  kubeProxy: { enabled: false },
  kubeEtcd: { enabled: false },
  defaultRules: {
    rules: {
      kubeControllerManager: false,
      kubeSchedulerAlerting: false,
      kubeSchedulerRecording: false,
      kubeProxy: false,
      etcd: false,
    },
  },
} as const

/** Alertmanager's config for the receivers this stack configures (none: alerts go nowhere). */
function alertmanagerConfig(
  config: PlatformConfig['observability'],
  secrets: PlatformConfig['secrets'],
): pulumi.Output<object> {
  return pulumi
    .all([secrets.pagerdutyRoutingKey, secrets.slackWebhookUrl, secrets.heartbeatUrl])
    .apply(([routingKey, slackUrl, heartbeatUrl]) => {
      const receivers: AlertReceivers = {
        ...(routingKey ? { pagerduty: { routingKey } } : {}),
        ...(slackUrl && config.slackChannel
          ? { slack: { webhookUrl: slackUrl, channel: config.slackChannel } }
          : {}),
        ...(config.email ? { email: config.email } : {}),
        ...(heartbeatUrl ? { heartbeat: { webhookUrl: heartbeatUrl } } : {}),
      }
      return buildAlertmanagerConfig(receivers)
    })
}
