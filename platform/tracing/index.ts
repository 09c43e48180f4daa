import { createHash } from 'node:crypto'
import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import { stringify } from 'yaml'
import { SYSTEM_NODE_LABEL } from '../cluster/index.ts'
import { type OidcProvider, serviceAccountRole } from '../iam.ts'
import {
  CONTAINER_SECURITY,
  disruptionBudget,
  ingressOnlyFrom,
  POD_SECURITY,
  resources,
  restrictedNamespace,
} from '../services/pod.ts'

export const NAMESPACE = 'tracing'
const NAME = 'otel-collector'
/** The AWS Distro for OpenTelemetry collector, pinned as every image here. */
export const COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.45.0'
export const OTLP_HTTP_PORT = 4318
const HEALTH_PORT = 13133
/** Where the services post their spans (OTLP/HTTP): OTEL_EXPORTER_OTLP_ENDPOINT. */
export const OTLP_ENDPOINT = `http://${NAME}.${NAMESPACE}.svc.cluster.local:${OTLP_HTTP_PORT}`
/** The AWS managed policy that lets the collector put trace segments into X-Ray. */
export const XRAY_WRITE_POLICY = 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess'
/** The share of new traces sampled when the stack's config does not say. */
export const DEFAULT_TRACE_SAMPLE_RATIO = 0.1
/** The namespace whose pods may send spans. */
const SENDERS = 'infera'
const CONFIG_FILE = 'config.yaml'

export interface TracingArgs {
  provider: k8s.Provider
  oidc: OidcProvider
  /** Where X-Ray receives the traces: the stack's region. */
  region: string
}

/**
 * The collector's pipeline: OTLP over HTTP in, batched, out to X-Ray. The memory limiter refuses
 * spans before the pod runs out of memory (senders retry), rather than letting it be killed.
 */
export function collectorConfig(region: string) {
  return {
    extensions: { health_check: { endpoint: `0.0.0.0:${HEALTH_PORT}` } },
    receivers: { otlp: { protocols: { http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` } } } },
    processors: {
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 },
      batch: { timeout: '1s', send_batch_size: 256 },
    },
    exporters: { awsxray: { region } },
    service: {
      extensions: ['health_check'],
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'batch'],
          exporters: ['awsxray'],
        },
      },
    },
  }
}

/**
 * Traces: an OpenTelemetry collector (the AWS distribution) in its own namespace, receiving the
 * services' spans over OTLP/HTTP and exporting them to AWS X-Ray as its own IAM role (IRSA, with
 * AWSXRayDaemonWriteAccess). Only pods of the services' namespace may reach it.
 */
export class Tracing extends pulumi.ComponentResource {
  /** OTEL_EXPORTER_OTLP_ENDPOINT for the services. */
  readonly endpoint = OTLP_ENDPOINT

  constructor(name: string, args: TracingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Tracing', name, {}, opts)
    const onCluster = { parent: this, provider: args.provider }
    const namespace = restrictedNamespace(`${name}-${NAMESPACE}`, NAMESPACE, onCluster)
    const inNamespace = { ...onCluster, dependsOn: [namespace] }
    const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/part-of': 'infera' }
    const metadata = {
      name: NAME,
      namespace: NAMESPACE,
      labels: { ...selector, 'app.kubernetes.io/component': 'tracing' },
    }

    const role = serviceAccountRole(
      `${name}-${NAME}`,
      {
        oidc: args.oidc,
        namespace: NAMESPACE,
        serviceAccount: NAME,
        managedPolicyArns: [XRAY_WRITE_POLICY],
      },
      { parent: this },
    )
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-${NAME}`,
      {
        metadata: { ...metadata, annotations: { 'eks.amazonaws.com/role-arn': role.arn } },
        automountServiceAccountToken: false,
      },
      inNamespace,
    )
    const config = stringify(collectorConfig(args.region))
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-${NAME}`,
      { metadata, data: { [CONFIG_FILE]: config } },
      inNamespace,
    )

    const health = { httpGet: { path: '/', port: 'health' }, periodSeconds: 10, timeoutSeconds: 2 }
    new k8s.apps.v1.Deployment(
      `${name}-${NAME}`,
      {
        metadata,
        spec: {
          replicas: 2,
          selector: { matchLabels: selector },
          template: {
            metadata: {
              labels: metadata.labels,
              // A changed pipeline rolls the pods: the collector reads its config at start.
              annotations: {
                'infera.dev/config-sha256': createHash('sha256').update(config).digest('hex'),
              },
            },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              // The web identity token IRSA mounts is projected on its own; no API access needed.
              automountServiceAccountToken: false,
              securityContext: POD_SECURITY,
              nodeSelector: { ...SYSTEM_NODE_LABEL },
              containers: [
                {
                  name: 'collector',
                  image: COLLECTOR_IMAGE,
                  args: [`--config=/etc/otel/${CONFIG_FILE}`],
                  ports: [
                    { name: 'otlp-http', containerPort: OTLP_HTTP_PORT },
                    { name: 'health', containerPort: HEALTH_PORT },
                  ],
                  env: [{ name: 'AWS_REGION', value: args.region }],
                  readinessProbe: health,
                  livenessProbe: { ...health, failureThreshold: 3 },
                  resources: resources('200m', '512Mi'),
                  securityContext: CONTAINER_SECURITY,
                  volumeMounts: [{ name: 'config', mountPath: '/etc/otel', readOnly: true }],
                },
              ],
              volumes: [{ name: 'config', configMap: { name: configMap.metadata.name } }],
            },
          },
        },
      },
      inNamespace,
    )

    new k8s.core.v1.Service(
      `${name}-${NAME}`,
      {
        metadata,
        spec: {
          type: 'ClusterIP',
          selector,
          ports: [{ name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http' }],
        },
      },
      inNamespace,
    )

    ingressOnlyFrom(
      `${name}-${NAME}`,
      {
        metadata,
        selector,
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': SENDERS } } }],
        port: 'otlp-http',
      },
      inNamespace,
    )
    disruptionBudget(`${name}-${NAME}`, { metadata, selector }, inNamespace)
    this.registerOutputs({ endpoint: this.endpoint })
  }
}

/**
 * What a service's container needs to send its traces to the collector: the standard OTEL_*
 * variables, `service.name` per component (`infera-inference`), the workload as a resource
 * attribute, and parent-based sampling at `sampleRatio` (a sampled caller is always followed).
 */
export function tracingEnv(
  endpoint: string,
  workload: { component: string; name: string },
  sampleRatio: number,
): k8s.types.input.core.v1.EnvVar[] {
  return [
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: endpoint },
    { name: 'OTEL_SERVICE_NAME', value: `infera-${workload.component}` },
    {
      name: 'OTEL_RESOURCE_ATTRIBUTES',
      value: `service.namespace=infera,k8s.deployment.name=${workload.name}`,
    },
    { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
    { name: 'OTEL_TRACES_SAMPLER_ARG', value: String(sampleRatio) },
  ]
}
