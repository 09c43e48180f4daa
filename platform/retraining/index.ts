import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { IMAGES, type ImageName, repositoryName } from '../bootstrap/index.ts'
import { rolePolicy } from '../iam.ts'

export { IMAGES, type ImageName } from '../bootstrap/index.ts'

/** Where SageMaker training jobs write their output, under the artifacts bucket. */
export const TRAINING_PREFIX = 'training'

export interface RetrainingArgs {
  artifactsBucket: aws.s3.Bucket
  capturesBucket: aws.s3.Bucket
}

/**
 * What retraining on SageMaker needs: the platform's ECR repositories (the trainer among them),
 * which the bootstrap stack creates and CI fills before `up`, and the execution role SageMaker
 * assumes, which may read captures and the registry's artifacts and write training output — the
 * platform's buckets and nothing else.
 */
export class Retraining extends pulumi.ComponentResource {
  readonly repositories: Record<ImageName, aws.ecr.Repository>
  readonly sagemakerRoleArn: pulumi.Output<string>

  constructor(name: string, args: RetrainingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Retraining', name, {}, opts)
    const parent = { parent: this }

    // Read, not created: the images must be in them before this stack's pods are scheduled.
    this.repositories = Object.fromEntries(
      IMAGES.map((image) => {
        const id = repositoryName(image)
        return [image, aws.ecr.Repository.get(`${name}-${image}`, id, { name: id }, parent)]
      }),
    ) as Record<ImageName, aws.ecr.Repository>

    const role = sagemakerRole(`${name}-sagemaker`, this.repositories.trainer.arn, parent)
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

/**
 * The role SageMaker assumes for this account's training jobs only (confused-deputy protection):
 * the account is the one in the trainer repository's ARN, read without an invoke.
 */
function sagemakerRole(
  name: string,
  trainerRepositoryArn: pulumi.Output<string>,
  opts: pulumi.CustomResourceOptions,
) {
  return new aws.iam.Role(
    name,
    {
      assumeRolePolicy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': trainerRepositoryArn.apply(accountOf) },
            },
          },
        ],
      }),
    },
    opts,
  )
}

/** `arn:partition:service:region:account:resource` → account. */
const accountOf = (arn: string) => arn.split(':')[4] ?? ''
