import * as pulumi from '@pulumi/pulumi'
import { GPU_NODE_LABEL, GPU_TAINT, SYSTEM_NODE_LABEL } from '../cluster/index.ts'
import type { ModelGroup } from '../config/index.ts'
import { type Context, TMP_MOUNT, workload } from './context.ts'
import { DRIFT_URL } from './drift.ts'
import { CAPTURE_UPLOAD_VOLUME, captureUploadSidecar, resources, scratch } from './pod.ts'
import type { Workload } from './workload.ts'

const INFERENCE_PORT = 8080
/** Seconds between capture uploads: how far behind the pods retraining's data may be. */
const CAPTURE_UPLOAD_INTERVAL = 30

/**
 * One model group's model servers, following the registry for the group's models alone: their
 * production and canary versions are written into `/models` and loaded. Captures go to drift, and
 * to S3, where retraining reads them.
 */
export function inferenceGroup(ctx: Context, group: ModelGroup, registry: Workload): Workload {
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
