import * as pulumi from '@pulumi/pulumi'
import { ACCEPTS } from '../../cli/local/credentials.ts'
import { SYSTEM_NODE_LABEL } from '../cluster/index.ts'
import { type Context, TMP_MOUNT, workload } from './context.ts'
import { resources, scratch } from './pod.ts'
import type { Workload } from './workload.ts'

/** Where the model registry keeps its artifacts in the artifacts bucket (content-addressed). */
export const REGISTRY_PREFIX = 'registry'

const REGISTRY_PORT = 8083
/** The components whose pods may connect to the registry (a NetworkPolicy admits no other). */
const REGISTRY_CLIENTS = ['inference', 'drift', 'gateway']

/**
 * The model registry, the one source of truth for what serves: versions and aliases in RDS,
 * artifacts under `registry/` in the artifacts bucket, and the canary controller, which promotes
 * or rolls back each canary on the gateway's counters. One replica, replaced by Recreate: two
 * controllers would both judge every canary.
 */
export function modelRegistry(ctx: Context): Workload {
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
