import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { awsServiceRole, rolePolicy } from '../iam.ts'

/** The images the platform runs, one ECR repository each. */
export const IMAGES = ['inference', 'gateway', 'drift', 'registry', 'trainer'] as const
export type ImageName = (typeof IMAGES)[number]

/** Where SageMaker training jobs write their output, under the artifacts bucket. */
export const TRAINING_PREFIX = 'training'

export interface RetrainingArgs {
  artifactsBucket: aws.s3.Bucket
  capturesBucket: aws.s3.Bucket
  /** Lets `pulumi destroy` delete repositories that still hold images: throwaway stacks only. */
  forceDelete: boolean
}

/**
 * What retraining on SageMaker needs: ECR repositories for the platform's images (the trainer
 * among them) and the execution role SageMaker assumes, which may read captures and the
 * registry's artifacts and write training output — the platform's buckets and nothing else.
 */
export class Retraining extends pulumi.ComponentResource {
  readonly repositories: Record<ImageName, aws.ecr.Repository>
  readonly sagemakerRoleArn: pulumi.Output<string>

  constructor(name: string, args: RetrainingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Retraining', name, {}, opts)
    const parent = { parent: this }

    this.repositories = Object.fromEntries(
      IMAGES.map((image) => [image, repository(name, image, args.forceDelete, parent)]),
    ) as Record<ImageName, aws.ecr.Repository>

    const role = awsServiceRole(`${name}-sagemaker`, 'sagemaker.amazonaws.com', parent)
    const { artifactsBucket: artifacts, capturesBucket: captures } = args
    rolePolicy(
      `${name}-sagemaker`,
      role,
      [
        {
          Effect: 'Allow',
          Action: ['s3:ListBucket', 's3:GetBucketLocation'],
          Resource: [artifacts.arn, captures.arn],
        },
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: [pulumi.interpolate`${captures.arn}/*`, pulumi.interpolate`${artifacts.arn}/*`],
        },
        {
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
          Resource: pulumi.interpolate`${artifacts.arn}/${TRAINING_PREFIX}/*`,
        },
        {
          Effect: 'Allow',
          Action: [
            'ecr:BatchGetImage',
            'ecr:GetDownloadUrlForLayer',
            'ecr:BatchCheckLayerAvailability',
          ],
          Resource: this.repositories.trainer.arn,
        },
        // Registry logins can't be scoped to a repository.
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        {
          Effect: 'Allow',
          Action: [
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:PutLogEvents',
            'logs:DescribeLogStreams',
          ],
          Resource: 'arn:aws:logs:*:*:log-group:/aws/sagemaker/TrainingJobs*',
        },
        {
          Effect: 'Allow',
          Action: 'cloudwatch:PutMetricData',
          Resource: '*',
          Condition: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
        },
      ],
      { parent: role },
    )
    this.sagemakerRoleArn = role.arn

    this.registerOutputs({ sagemakerRoleArn: this.sagemakerRoleArn })
  }
}

/** `<stack's name>/<image>`: a fixed name, so that builds know where to push. */
function repository(
  prefix: string,
  image: ImageName,
  forceDelete: boolean,
  opts: pulumi.CustomResourceOptions,
) {
  const name = `${prefix}-${image}`
  const repo = new aws.ecr.Repository(
    name,
    {
      name: `${prefix}/${image}`,
      // A tag names one build for good: deployments pin tags, so they must not move.
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: 'AES256' }],
      forceDelete,
    },
    opts,
  )
  new aws.ecr.LifecyclePolicy(
    name,
    {
      repository: repo.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'untagged layers of failed pushes',
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 7,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description: 'keep the last 100 tagged images',
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 100 },
            action: { type: 'expire' },
          },
        ],
      }),
    },
    { parent: repo },
  )
  return repo
}
