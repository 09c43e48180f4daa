import { createHash } from 'node:crypto'
import type * as aws from '@pulumi/aws'
import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import * as random from '@pulumi/random'
import { ACCEPTS, type Holder } from '../../cli/local/credentials.ts'
import { GPU_NODE_LABEL, GPU_TAINT, SYSTEM_NODE_LABEL } from '../cluster/index.ts'
import type { ModelGroup, PlatformConfig } from '../config/index.ts'
import { type AppRole, DatabaseRoles } from '../database/index.ts'
import type { OidcProvider, Statement } from '../iam.ts'
import { type ImageName, TRAINING_PREFIX } from '../retraining/index.ts'
import { ServiceTokens, type WorkloadCredentials } from './credentials.ts'
import { buildGatewayConfig, type GatewayConfigArgs } from './gateway-config.ts'
import { CAPTURE_UPLOAD_VOLUME, captureUploadSidecar, resources, scratch } from './pod.ts'
import { Workload, type WorkloadArgs } from './workload.ts'

type EnvVar = k8s.types.input.core.v1.EnvVar
type VolumeMount = k8s.types.input.core.v1.VolumeMount

export const NAMESPACE = 'infera'
/** Where the model registry keeps its artifacts in the artifacts bucket (content-addressed). */
export const REGISTRY_PREFIX = 'registry'

const INFERENCE_PORT = 8080
const GATEWAY_PORT = 8080
const DRIFT_PORT = 8081
const REGISTRY_PORT = 8083
const DRIFT_URL = `http://drift.${NAMESPACE}.svc.cluster.local:${DRIFT_PORT}`
/** The components whose pods may connect to the registry (a NetworkPolicy admits no other). */
const REGISTRY_CLIENTS = ['inference', 'drift', 'gateway']
/** TLS 1.3 and 1.2 with forward secrecy only: the NLB's listener policy. */
const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06'
/** The services listen on loopback unless told otherwise; in a pod, the Service must reach them. */
const LISTEN = ['--host', '0.0.0.0']
/** Seconds between capture uploads: how far behind the pods retraining's data may be. */
const CAPTURE_UPLOAD_INTERVAL = 30

export interface ServicesArgs {
  config: PlatformConfig
  provider: k8s.Provider
  oidc: OidcProvider
  /** What GPU pods wait for: the GPU node group, the device plugin, the autoscaler. */
  gpuReady: pulumi.Resource[]
  repositories: Record<ImageName, aws.ecr.Repository>
  buckets: { artifacts: aws.s3.Bucket; captures: aws.s3.Bucket; reports: aws.s3.Bucket }
  /**
   * The PostgreSQL database of the registry and the drift history: the master user's URL (a
   * secret, which only the Job creating each service's own role sees), its host and name.
   */
  database: { adminUrl: pulumi.Output<string>; host: pulumi.Output<string>; name: string }
  sagemakerRoleArn: pulumi.Output<string>
  /**
   * ServiceMonitor labels, what must exist first (the Prometheus Operator's CRDs), and the
   * Prometheus the canary controller reads the gateway's counters from.
   */
  monitoring: { labels: Record<string, string>; ready: pulumi.Resource[]; prometheusUrl: string }
}

/** What every service's builder shares. */
interface Context {
  name: string
  args: ServicesArgs
  /** For resources in the namespace. */
  opts: pulumi.ComponentResourceOptions
  image: (repo: ImageName, tag: string) => pulumi.Output<string>
  /** `DATABASE_URL` of a service's own PostgreSQL role, from that role's Secret. */
  databaseUrl: (role: AppRole) => k8s.types.input.core.v1.EnvVar
  /** The Job that creates those roles: their services start once it has completed. */
  databaseReady: pulumi.Resource
  /** The services' tokens and credentials files. */
  tokens: ServiceTokens
}

/**
 * The services on the cluster, in the `infera` namespace (Pod Security `restricted`): the model
 * registry, one inference Deployment per model group (CPU or GPU), the drift service, and the
 * gateway behind a Network Load Balancer.
 */
export class Services extends pulumi.ComponentResource {
  readonly gatewayUrl: pulumi.Output<string>

  constructor(name: string, args: ServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Services', name, {}, opts)
    const onCluster = { parent: this, provider: args.provider }
    const namespace = new k8s.core.v1.Namespace(
      `${name}-${NAMESPACE}`,
      {
        metadata: {
          name: NAMESPACE,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/audit': 'restricted',
          },
        },
      },
      onCluster,
    )
    const inNamespace = { ...onCluster, dependsOn: [namespace] }
    // One database, each service as its own role in its own schema, never as the master user.
    const roles = new DatabaseRoles(
      `${name}-db`,
      {
        provider: args.provider,
        namespace: NAMESPACE,
        namespaceReady: [namespace],
        adminUrl: args.database.adminUrl,
        host: args.database.host,
        port: 5432,
        database: args.database.name,
      },
      { parent: this },
    )
    const ctx: Context = {
      name,
      args,
      opts: inNamespace,
      tokens: new ServiceTokens(name, NAMESPACE, { ...inNamespace, parent: this }),
      image: (repo, tag) => pulumi.interpolate`${args.repositories[repo].repositoryUrl}:${tag}`,
      databaseUrl: (role) => ({
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: roles.secrets[role].metadata.name, key: 'url' } },
      }),
      databaseReady: roles.job,
    }

    const registry = modelRegistry(ctx)
    const groups = args.config.modelGroups.map((group) => ({
      models: group.models,
      targets: [inferenceGroup(ctx, group, registry).url],
    }))
    drift(ctx, registry)
    this.gatewayUrl = gateway(ctx, { url: registry.url, groups })
    this.registerOutputs({ gatewayUrl: this.gatewayUrl })
  }
}

/**
 * The model registry, the one source of truth for what serves: versions and aliases in RDS,
 * artifacts under `registry/` in the artifacts bucket, and the canary controller, which promotes
 * or rolls back each canary on the gateway's counters. One replica, replaced by Recreate: two
 * controllers would both judge every canary.
 */
function modelRegistry(ctx: Context): Workload {
  const { args } = ctx
  const { config } = args
  const { artifacts } = args.buckets
  return workload(ctx, 'registry', {
    component: 'registry',
    port: REGISTRY_PORT,
    probes: { live: '/health/live', ready: '/health/ready' },
    container: {
      name: 'registry',
      image: ctx.image('registry', config.images.registry),
      args: [
        ...['serve', '--port', String(REGISTRY_PORT)],
        // Not each gateway replica: the HPA changes them, and the Service would spread reads
        // across them. Prometheus scrapes every one, with the key their /metrics asks for.
        ...['--canary-prometheus', args.monitoring.prometheusUrl],
        ...['--canary-seconds', String(config.canary.analysisSeconds)],
        ...['--canary-min-requests', String(config.canary.minRequests)],
      ],
      env: [
        ctx.databaseUrl('registry'),
        {
          name: 'INFERA_ARTIFACTS_S3',
          value: pulumi.interpolate`s3://${artifacts.bucket}/${REGISTRY_PREFIX}`,
        },
        { name: 'AWS_REGION', value: config.region },
      ],
      // Model files pass through memory: uploads of up to 1 GiB, downloads to every server.
      resources: resources('500m', '2Gi'),
      volumeMounts: [TMP_MOUNT],
    },
    volumes: [scratch('tmp', '256Mi')],
    nodeSelector: SYSTEM_NODE_LABEL,
    // Every write (register, promote, canary, rollback) needs a token; its holder is the actor.
    credentials: { accepts: ACCEPTS.registry },
    dependsOn: [ctx.databaseReady],
    // Its reads need no token: only the pods that follow or route by it, and drift, may connect.
    allowFrom: REGISTRY_CLIENTS,
    iam: {
      oidc: args.oidc,
      statements: [
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: artifacts.arn,
          Condition: { StringLike: { 's3:prefix': `${REGISTRY_PREFIX}/*` } },
        },
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: pulumi.interpolate`${artifacts.arn}/${REGISTRY_PREFIX}/*`,
        },
      ],
    },
  })
}

/**
 * One model group's model servers, following the registry for the group's models alone: their
 * production and canary versions are written into `/models` and loaded. Captures go to drift, and
 * to S3, where retraining reads them.
 */
function inferenceGroup(ctx: Context, group: ModelGroup, registry: Workload): Workload {
  const { args } = ctx
  const { buckets, config } = args
  const gpu = group.accelerator === 'gpu'
  const limits = resources(group.cpu, group.memory)
  return workload(ctx, `inference-${group.name}`, {
    component: 'inference',
    labels: { 'infera.dev/model-group': group.name, 'infera.dev/accelerator': group.accelerator },
    port: INFERENCE_PORT,
    probes: { live: '/v2/health/live', ready: '/v2/health/ready' },
    container: {
      name: 'inference',
      image: ctx.image('inference', gpu ? config.images.inferenceGpu : config.images.inference),
      args: [
        ...['--models', '/models', '--port', String(INFERENCE_PORT), '--poll-interval', '10'],
        // Another group's models are neither written nor removed: each group loads its own.
        ...['--registry', registry.url, '--registry-models', group.models.join(',')],
        ...['--capture-url', DRIFT_URL, '--capture-dir', '/capture'],
        ...['--capture-sample', String(config.drift.captureSample)],
      ],
      // A GPU is asked for as a limit; Kubernetes sets the request to match.
      resources: gpu
        ? { ...limits, limits: { ...limits.limits, 'nvidia.com/gpu': String(group.gpus) } }
        : limits,
      volumeMounts: [
        // Written by the registry follower in the server.
        { name: 'models', mountPath: '/models' },
        { name: 'capture', mountPath: '/capture' },
        TMP_MOUNT,
      ],
    },
    sidecars: [
      captureUploadSidecar({
        dir: '/capture',
        volume: 'capture',
        bucket: buckets.captures.bucket,
        intervalSeconds: CAPTURE_UPLOAD_INTERVAL,
      }),
    ],
    volumes: [
      scratch('models', gpu ? '40Gi' : '5Gi'),
      scratch('capture', '2Gi'),
      scratch('tmp', '1Gi'),
      CAPTURE_UPLOAD_VOLUME,
    ],
    nodeSelector: gpu ? { ...GPU_NODE_LABEL } : { ...SYSTEM_NODE_LABEL },
    // Captures are drift's ingest; no model control API: the registry says what serves.
    credentials: { sends: ['inference'] },
    ...(gpu
      ? { tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }] }
      : {}),
    scaling: { ...group.replicas, targetCpuUtilization: group.targetCpuUtilization },
    // At the HPA's max every GPU node may be taken: a surge pod would wait for a node forever.
    ...(gpu ? { rollout: 'replace' as const } : {}),
    iam: {
      oidc: args.oidc,
      // Models come over HTTP from the registry: captures are all it writes to S3.
      statements: [
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: buckets.captures.arn },
        {
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
          Resource: pulumi.interpolate`${buckets.captures.arn}/*`,
        },
      ],
    },
    // The follower's first sync comes before the server starts: the registry must be up.
    dependsOn: [...(gpu ? args.gpuReady : []), registry],
    // A GPU node may have to be started (from zero in dev) and pull a CUDA image of gigabytes.
    ...(gpu ? { rolloutTimeout: '30m' } : {}),
  })
}

/**
 * The drift service: one replica (its windows live in memory), history in RDS, each version's
 * reference from the registry, and SageMaker retraining when the stack asks for it, whose
 * candidates go through the registry's gate into a canary.
 */
function drift(ctx: Context, registry: Workload): Workload {
  const { args } = ctx
  const { buckets, config } = args
  const sagemaker = config.drift.trainer === 'sagemaker'
  return workload(ctx, 'drift', {
    component: 'drift',
    port: DRIFT_PORT,
    probes: { live: '/health/live', ready: '/health/ready' },
    container: {
      name: 'drift',
      image: ctx.image('drift', config.images.drift),
      args: [
        ...['serve', '--port', String(DRIFT_PORT), '--registry', registry.url],
        ...['--window-size', String(config.drift.windowSize)],
        ...['--retrain-after', String(config.drift.retrainAfter)],
        ...['--trainer', config.drift.trainer],
        ...(sagemaker
          ? [
              ...['--region', config.region, '--sagemaker-role-arn', args.sagemakerRoleArn],
              ...['--sagemaker-image', ctx.image('trainer', config.images.trainer)],
              ...['--capture-s3-uri', pulumi.interpolate`s3://${buckets.captures.bucket}`],
              '--output-s3-uri',
              pulumi.interpolate`s3://${buckets.artifacts.bucket}/${TRAINING_PREFIX}`,
              ...['--canary-weight', String(config.canary.weight)],
            ]
          : []),
      ],
      env: [{ name: 'INFERA_HOME', value: '/data' }, ctx.databaseUrl('drift')],
      resources: resources('1', '2Gi'),
      volumeMounts: [{ name: 'data', mountPath: '/data' }, TMP_MOUNT],
    },
    volumes: [scratch('data', '1Gi'), scratch('tmp', '256Mi')],
    nodeSelector: SYSTEM_NODE_LABEL,
    // Ingest from the model servers, labels from the labeller; candidates to the registry.
    credentials: { accepts: ACCEPTS.drift, sends: ['driftRetrainer'] },
    dependsOn: [ctx.databaseReady],
    iam: {
      oidc: args.oidc,
      statements: [
        {
          Effect: 'Allow',
          Action: ['s3:ListBucket', 's3:GetObject'],
          Resource: [buckets.captures.arn, pulumi.interpolate`${buckets.captures.arn}/*`],
        },
        {
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: pulumi.interpolate`${buckets.reports.arn}/*`,
        },
        ...(sagemaker
          ? trainOnSageMaker(config.region, args.sagemakerRoleArn, buckets.artifacts)
          : []),
      ],
    },
  })
}

/**
 * The gateway behind a Network Load Balancer (TLS on 443 with an ACM certificate, else 80), its
 * config generated from the stack's auth and the model groups. Returns its URL.
 */
function gateway(ctx: Context, registry: GatewayConfigArgs['registry']): pulumi.Output<string> {
  const { config } = ctx.args
  // Prometheus scrapes /metrics with its own key, so the endpoint stays closed to the internet.
  const metricsKey = new random.RandomPassword(
    `${ctx.name}-gateway-metrics-key`,
    { length: 48, special: false },
    { parent: ctx.opts.parent },
  )
  const metricsSecret = new k8s.core.v1.Secret(
    `${ctx.name}-gateway-metrics-key`,
    {
      metadata: { name: 'gateway-metrics-key', namespace: NAMESPACE },
      stringData: { token: metricsKey.result },
    },
    ctx.opts,
  )
  const file = metricsKey.result.apply((key) =>
    JSON.stringify(
      buildGatewayConfig({
        gateway: config.gateway,
        registry,
        metricsKeySha256: sha256(key),
      }),
    ),
  )
  const configSecret = new k8s.core.v1.Secret(
    `${ctx.name}-gateway-config`,
    {
      metadata: { name: 'gateway-config', namespace: NAMESPACE },
      stringData: { 'gateway.json': file },
    },
    ctx.opts,
  )
  const tls = config.gateway.certificateArn
  const gatewayWorkload = workload(ctx, 'gateway', {
    component: 'gateway',
    port: GATEWAY_PORT,
    probes: { live: '/v2/health/live', ready: '/v2/health/ready' },
    // The gateway reads its config once: a changed config rolls the pods.
    podAnnotations: { 'infera.dev/config-sha256': file.apply(sha256) },
    container: {
      name: 'gateway',
      image: ctx.image('gateway', config.images.gateway),
      args: ['--config', '/etc/infera/gateway.json', '--port', String(GATEWAY_PORT)],
      resources: resources('500m', '512Mi'),
      volumeMounts: [{ name: 'config', mountPath: '/etc/infera', readOnly: true }, TMP_MOUNT],
    },
    volumes: [
      { name: 'config', secret: { secretName: configSecret.metadata.name } },
      scratch('tmp', '64Mi'),
    ],
    nodeSelector: SYSTEM_NODE_LABEL,
    scaling: { ...config.gateway.replicas, targetCpuUtilization: 70 },
    service: {
      type: 'LoadBalancer',
      port: tls ? 443 : 80,
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
        'service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled': 'true',
        ...(config.gateway.internal
          ? { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' }
          : {}),
        ...(tls
          ? {
              // The NLB terminates TLS on 443 and forwards plain TCP to the pods' HTTP port.
              'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': tls,
              'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
              'service.beta.kubernetes.io/aws-load-balancer-backend-protocol': 'tcp',
              'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy': TLS_POLICY,
            }
          : {}),
      },
    },
    metricsToken: { secretName: metricsSecret.metadata.name, key: 'token' },
  })
  // The NLB's DNS name, once AWS has made it (the Service's await waits for it).
  const host = gatewayWorkload.service.status.apply(
    (status) => status.loadBalancer.ingress?.[0]?.hostname,
  )
  return pulumi.interpolate`${tls ? 'https' : 'http'}://${host}`
}

/**
 * A Workload in the namespace, listening on every address of its pod, scraped by Prometheus once
 * its CRDs exist, with the credentials it checks and the tokens it sends.
 */
function workload(
  ctx: Context,
  name: string,
  args: Omit<WorkloadArgs, 'name' | 'namespace' | 'monitoring' | 'container'> & {
    container: WorkloadArgs['container'] & {
      args: pulumi.Input<string>[]
      env?: EnvVar[]
      volumeMounts: VolumeMount[]
    }
    /** The Secret key Prometheus authenticates to `/metrics` with, if it must. */
    metricsToken?: WorkloadArgs['monitoring']['bearerToken']
    /** The holders whose tokens it accepts, and the env vars of the tokens it sends. */
    credentials?: { accepts?: readonly Holder[]; sends?: readonly Holder[] }
  },
): Workload {
  const { metricsToken, credentials, dependsOn = [], container, ...rest } = args
  const { monitoring } = ctx.args
  const held: Partial<WorkloadCredentials> = credentials
    ? ctx.tokens.forWorkload(name, credentials)
    : {}
  const env = [...(container.env ?? []), ...(held.env ?? [])]
  return new Workload(
    `${ctx.name}-${name}`,
    {
      ...rest,
      container: {
        ...container,
        args: [...container.args, ...LISTEN, ...(held.args ?? [])],
        ...(env.length ? { env } : {}),
        volumeMounts: [...container.volumeMounts, ...(held.volumeMounts ?? [])],
      },
      volumes: [...rest.volumes, ...(held.volumes ?? [])],
      podAnnotations: { ...rest.podAnnotations, ...held.podAnnotations },
      name,
      namespace: NAMESPACE,
      monitoring: {
        labels: monitoring.labels,
        ...(metricsToken ? { bearerToken: metricsToken } : {}),
      },
      dependsOn: [...monitoring.ready, ...dependsOn],
    },
    ctx.opts,
  )
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' }

/**
 * Starting and following SageMaker training jobs, passing them the execution role only, and
 * reading a completed job's model from its output, to register it.
 */
function trainOnSageMaker(
  region: string,
  roleArn: pulumi.Output<string>,
  artifacts: aws.s3.Bucket,
): Statement[] {
  return [
    {
      Effect: 'Allow',
      Action: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:AddTags'],
      Resource: `arn:aws:sagemaker:${region}:*:training-job/*`,
    },
    {
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roleArn,
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    },
    {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: pulumi.interpolate`${artifacts.arn}/${TRAINING_PREFIX}/*`,
    },
  ]
}
