import type * as pulumi from '@pulumi/pulumi'
import { Cluster } from './cluster/index.ts'
import type { PlatformConfig } from './config/index.ts'
import { Database } from './database/index.ts'
import { Network } from './network/index.ts'
import { MONITORING_LABELS, Observability, PROMETHEUS_URL } from './observability/index.ts'
import { Retraining } from './retraining/index.ts'
import { Services } from './services/index.ts'
import { Storage } from './storage/index.ts'
import { DEFAULT_TRACE_SAMPLE_RATIO, Tracing } from './tracing/index.ts'

/**
 * The whole platform for one stack. Only wiring: each concern is its own component. `opts` is
 * passed to every top-level component (the offline plan uses it to see the resource tree).
 */
export function createPlatform(config: PlatformConfig, opts: pulumi.ComponentResourceOptions = {}) {
  const name = `infera-${config.stack}`
  const network = new Network(
    name,
    { config: config.network, region: config.region, clusterName: name },
    opts,
  )
  const cluster = new Cluster(
    name,
    {
      config: config.cluster,
      name,
      region: config.region,
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      privateSubnetIds: network.privateSubnetIds,
    },
    opts,
  )
  const database = new Database(
    name,
    {
      config: config.database,
      environment: config.environment,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      clientSecurityGroupId: cluster.nodeSecurityGroupId,
    },
    opts,
  )
  const storage = new Storage(name, { config: config.storage }, opts)
  const retraining = new Retraining(
    name,
    {
      artifactsBucket: storage.artifacts,
      capturesBucket: storage.captures,
    },
    opts,
  )
  const observability = new Observability(
    name,
    {
      config: config.observability,
      secrets: config.secrets,
      provider: cluster.provider,
      storageClass: cluster.storageClass,
    },
    opts,
  )
  const tracing = new Tracing(
    name,
    { provider: cluster.provider, oidc: cluster.oidc, region: config.region },
    opts,
  )
  const services = new Services(
    name,
    {
      config,
      provider: cluster.provider,
      oidc: cluster.oidc,
      gpuReady: cluster.gpuReady,
      repositories: retraining.repositories,
      buckets: {
        artifacts: storage.artifacts,
        captures: storage.captures,
        reports: storage.reports,
      },
      database: {
        adminUrl: database.connectionUrl,
        host: database.endpoint,
        name: database.database,
      },
      sagemakerRoleArn: retraining.sagemakerRoleArn,
      monitoring: {
        labels: MONITORING_LABELS,
        ready: observability.ready,
        prometheusUrl: PROMETHEUS_URL,
      },
      tracing: {
        endpoint: tracing.endpoint,
        sampleRatio: config.observability.traceSampleRatio ?? DEFAULT_TRACE_SAMPLE_RATIO,
      },
    },
    opts,
  )

  return {
    gatewayUrl: services.gatewayUrl,
    clusterName: cluster.clusterName,
    kubeconfig: cluster.kubeconfig,
    buckets: {
      artifacts: storage.artifacts.bucket,
      captures: storage.captures.bucket,
      reports: storage.reports.bucket,
    },
    databaseEndpoint: database.endpoint,
    databaseSecretArn: database.secretArn,
    sagemakerRoleArn: retraining.sagemakerRoleArn,
    repositories: Object.fromEntries(
      Object.entries(retraining.repositories).map(([image, repo]) => [image, repo.repositoryUrl]),
    ),
  }
}
