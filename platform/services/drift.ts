import type * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { ACCEPTS } from '../../cli/local/credentials.ts'
import { SYSTEM_NODE_LABEL } from '../cluster/index.ts'
import type { Statement } from '../iam.ts'
import { TRAINING_PREFIX } from '../retraining/index.ts'
import { type Context, NAMESPACE, TMP_MOUNT, workload } from './context.ts'
import { resources, scratch } from './pod.ts'
import type { Workload } from './workload.ts'

const DRIFT_PORT = 8081
/** Where the model servers send their captures. */
export const DRIFT_URL = `http://drift.${NAMESPACE}.svc.cluster.local:${DRIFT_PORT}`

/**
 * The drift service: one replica (its windows live in memory), history in RDS, each version's
 * reference from the registry, and SageMaker retraining when the stack asks for it, whose
 * candidates go through the registry's gate into a canary.
 */
export function drift(ctx: Context, registry: Workload): Workload {
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
