import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import { type OidcProvider, type Statement, serviceAccountRole } from '../iam.ts'
import { NAMESPACE as MONITORING_NAMESPACE } from '../observability/index.ts'
import {
  CONTAINER_SECURITY,
  disruptionBudget,
  ingressOnlyFrom,
  POD_SECURITY,
  SAFE_TO_EVICT,
} from './pod.ts'

type Container = k8s.types.input.core.v1.Container
type Volume = k8s.types.input.core.v1.Volume
type Toleration = k8s.types.input.core.v1.Toleration

export interface Scaling {
  min: number
  max: number
  /** The HPA's target CPU utilisation in percent. */
  targetCpuUtilization: number
}

export interface WorkloadArgs {
  /** The Kubernetes name of the Deployment, Service and the rest. */
  name: string
  namespace: string
  /** `app.kubernetes.io/component`: registry, inference, gateway or drift. */
  component: string
  labels?: Record<string, string>
  port: number
  /** Health endpoints: liveness restarts a stuck process, readiness takes it out of the Service. */
  probes: { live: string; ready: string }
  /** Pod annotations, such as a digest of mounted config so that a change rolls the pods. */
  podAnnotations?: Record<string, pulumi.Input<string>>
  /** The main container; the workload adds its port, probes and security context. */
  container: Container
  /** Native sidecars, started before the main container and stopped after it. */
  sidecars?: Container[]
  volumes: Volume[]
  nodeSelector: Record<string, string>
  tolerations?: Toleration[]
  /** An HPA between min and max replicas; without, one replica replaced by Recreate. */
  scaling?: Scaling
  /**
   * How a scaled workload rolls: `surge` starts new pods before stopping old ones (no capacity
   * lost); `replace` stops one old pod first, for pods whose nodes may all be taken (GPUs), where
   * a surge pod would wait for a node the group can't add.
   */
  rollout?: 'surge' | 'replace'
  /**
   * The components (`app.kubernetes.io/component`) of this namespace whose pods may connect, with
   * Prometheus; without, any pod may.
   */
  allowFrom?: string[]
  /** The service account's IAM role (IRSA); without, the pod gets no AWS credentials. */
  iam?: { oidc: OidcProvider; statements: Statement[] }
  /** The Service's type, port and annotations (a ClusterIP on `port` by default). */
  service?: { type: 'LoadBalancer'; port: number; annotations: Record<string, string> }
  /** Labels Prometheus selects ServiceMonitors by, and how it authenticates to `/metrics`. */
  monitoring: {
    labels: Record<string, string>
    bearerToken?: { secretName: pulumi.Input<string>; key: string }
  }
  dependsOn?: pulumi.Input<pulumi.Resource>[]
  /** How long `pulumi up` waits for the rollout; Pulumi's default is 10 minutes. */
  rolloutTimeout?: string
}

const ROLLOUTS = {
  surge: { maxSurge: '25%', maxUnavailable: 0 },
  // One replica down at a time: progress needs no spare node, even at the HPA's (or GPUs') max.
  replace: { maxSurge: 0, maxUnavailable: 1 },
} as const

/** The kube-prometheus-stack's Prometheus pods, which scrape every workload's `/metrics`. */
const PROMETHEUS_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } },
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
}

/**
 * One service on the cluster: service account (with an IRSA role when it needs AWS), Deployment,
 * Service, PodDisruptionBudget, HorizontalPodAutoscaler, ServiceMonitor, and a NetworkPolicy when
 * only some peers may connect.
 */
export class Workload extends pulumi.ComponentResource {
  readonly service: k8s.core.v1.Service
  /** `http://<name>.<namespace>.svc.cluster.local:<port>`. */
  readonly url: string

  constructor(resourceName: string, args: WorkloadArgs, opts: pulumi.ComponentResourceOptions) {
    super('infera:platform:Workload', resourceName, {}, opts)
    const { name, namespace } = args
    const parent = { parent: this }
    const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'infera' }
    const labels = {
      ...selector,
      'app.kubernetes.io/component': args.component,
      ...args.labels,
    }
    const metadata = { name, namespace, labels }

    const role =
      args.iam &&
      serviceAccountRole(
        resourceName,
        { oidc: args.iam.oidc, namespace, serviceAccount: name, statements: args.iam.statements },
        parent,
      )
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      resourceName,
      {
        metadata: {
          ...metadata,
          ...(role ? { annotations: { 'eks.amazonaws.com/role-arn': role.arn } } : {}),
        },
        automountServiceAccountToken: false,
      },
      parent,
    )

    const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
      httpGet: { path, port: 'http' },
      periodSeconds,
      failureThreshold,
      timeoutSeconds: 2,
    })
    const deployment = new k8s.apps.v1.Deployment(
      resourceName,
      {
        metadata,
        spec: {
          ...(args.scaling ? {} : { replicas: 1 }),
          // A single stateful replica must not overlap with its successor.
          strategy: args.scaling
            ? { type: 'RollingUpdate', rollingUpdate: ROLLOUTS[args.rollout ?? 'surge'] }
            : { type: 'Recreate' },
          selector: { matchLabels: selector },
          template: {
            metadata: {
              labels,
              annotations: {
                ...args.podAnnotations,
                // The cluster autoscaler keeps any node running a pod with an emptyDir; these are
                // scratch (root filesystems are read-only), so a scale-down may evict the pod.
                ...(args.volumes.some((v) => v.emptyDir) ? { [SAFE_TO_EVICT]: 'true' } : {}),
              },
            },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              securityContext: POD_SECURITY,
              nodeSelector: args.nodeSelector,
              ...(args.tolerations ? { tolerations: args.tolerations } : {}),
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: 'topology.kubernetes.io/zone',
                  whenUnsatisfiable: 'ScheduleAnyway',
                  labelSelector: { matchLabels: selector },
                },
              ],
              initContainers: args.sidecars ?? [],
              containers: [
                {
                  ...args.container,
                  ports: [{ name: 'http', containerPort: args.port }],
                  // Loading models can take a while; liveness only counts once started.
                  startupProbe: probe(args.probes.live, 5, 60),
                  livenessProbe: probe(args.probes.live, 10, 3),
                  readinessProbe: probe(args.probes.ready, 5, 2),
                  securityContext: CONTAINER_SECURITY,
                },
              ],
              volumes: args.volumes,
              terminationGracePeriodSeconds: 60,
            },
          },
        },
      },
      {
        ...parent,
        dependsOn: args.dependsOn ?? [],
        ...(args.rolloutTimeout
          ? { customTimeouts: { create: args.rolloutTimeout, update: args.rolloutTimeout } }
          : {}),
      },
    )

    const exposed = args.service
    this.service = new k8s.core.v1.Service(
      resourceName,
      {
        metadata: { ...metadata, ...(exposed ? { annotations: exposed.annotations } : {}) },
        spec: {
          type: exposed?.type ?? 'ClusterIP',
          selector,
          ports: [{ name: 'http', port: exposed?.port ?? args.port, targetPort: 'http' }],
        },
      },
      parent,
    )
    this.url = `http://${name}.${namespace}.svc.cluster.local:${args.port}`

    if (args.allowFrom) {
      ingressOnlyFrom(
        resourceName,
        {
          metadata,
          selector,
          from: [
            {
              podSelector: {
                matchExpressions: [
                  { key: 'app.kubernetes.io/component', operator: 'In', values: args.allowFrom },
                ],
              },
            },
            PROMETHEUS_PEER,
          ],
          port: 'http',
        },
        parent,
      )
    }

    disruptionBudget(resourceName, { metadata, selector }, parent)

    if (args.scaling) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        resourceName,
        {
          metadata,
          spec: {
            scaleTargetRef: {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: deployment.metadata.name,
            },
            minReplicas: args.scaling.min,
            maxReplicas: args.scaling.max,
            metrics: [
              {
                type: 'Resource',
                resource: {
                  name: 'cpu',
                  target: {
                    type: 'Utilization',
                    averageUtilization: args.scaling.targetCpuUtilization,
                  },
                },
              },
            ],
          },
        },
        parent,
      )
    }

    const token = args.monitoring.bearerToken
    new k8s.apiextensions.CustomResource(
      resourceName,
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name, namespace, labels: { ...labels, ...args.monitoring.labels } },
        spec: {
          selector: { matchLabels: selector },
          namespaceSelector: { matchNames: [namespace] },
          endpoints: [
            {
              port: 'http',
              path: '/metrics',
              interval: '30s',
              ...(token
                ? {
                    authorization: {
                      type: 'Bearer',
                      credentials: { name: token.secretName, key: token.key },
                    },
                  }
                : {}),
            },
          ],
        },
      },
      { ...parent, dependsOn: args.dependsOn ?? [] },
    )

    this.registerOutputs({ url: this.url })
  }
}
