import type * as aws from '@pulumi/aws'
import type * as k8s from '@pulumi/kubernetes'
import type * as pulumi from '@pulumi/pulumi'
import type { Holder } from '../../cli/local/credentials.ts'
import type { PlatformConfig } from '../config/index.ts'
import type { AppRole } from '../database/index.ts'
import type { OidcProvider } from '../iam.ts'
import type { ImageName } from '../retraining/index.ts'
import { tracingEnv } from '../tracing/index.ts'
import type { ServiceTokens, WorkloadCredentials } from './credentials.ts'
import { Workload, type WorkloadArgs } from './workload.ts'

type EnvVar = k8s.types.input.core.v1.EnvVar
type VolumeMount = k8s.types.input.core.v1.VolumeMount

export const NAMESPACE = 'infera'

/** The services listen on loopback unless told otherwise; in a pod, the Service must reach them. */
const LISTEN = ['--host', '0.0.0.0']

export const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' }

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
  /** The OpenTelemetry collector's OTLP/HTTP endpoint, and the share of new traces sampled. */
  tracing: { endpoint: string; sampleRatio: number }
}

/** What every service's builder shares. */
export interface Context {
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
 * A Workload in the namespace, listening on every address of its pod, scraped by Prometheus once
 * its CRDs exist, sending its traces to the collector, with the credentials it checks and the
 * tokens it sends.
 */
export function workload(
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
  const { tracing } = ctx.args
  const env = [
    ...(container.env ?? []),
    ...(held.env ?? []),
    ...tracingEnv(tracing.endpoint, { component: args.component, name }, tracing.sampleRatio),
  ]
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
