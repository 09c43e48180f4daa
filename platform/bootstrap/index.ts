import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { z } from 'zod'
import { attachManagedPolicies, rolePolicy } from '../iam.ts'

/** The images the platform runs, one ECR repository each. */
export const IMAGES = ['inference', 'gateway', 'drift', 'registry', 'trainer'] as const
export type ImageName = (typeof IMAGES)[number]

/**
 * An image's repository: a fixed name, so that CI knows where to push and every platform stack
 * in the account finds it without a stack reference. Stacks share the repositories, so a commit
 * is built once and the same tag is promoted from dev to staging to prod.
 */
export const repositoryName = (image: ImageName) => `infera/${image}`

const GITHUB_ISSUER = 'token.actions.githubusercontent.com'

/** The bootstrap stack's config (`infera-bootstrap:*` in platform/bootstrap/Pulumi.<stack>.yaml). */
export const bootstrapConfigSchema = z.strictObject({
  /** The GitHub repository whose workflows may assume the CI roles. */
  githubRepository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name'),
  /** The GitHub environments (one per stack) whose `up` jobs deploy into this account. */
  environments: z.array(z.enum(['dev', 'staging', 'prod'])).min(1),
  /** An existing GitHub OIDC provider: an account holds one per issuer. Created when absent. */
  githubOidcProviderArn: z.string().startsWith('arn:aws:iam::').optional(),
  /** The S3 bucket of a self-managed Pulumi backend: previews may take its locks. */
  stateBucket: z.string().optional(),
  /** Lets `pulumi destroy` delete repositories that still hold images: throwaway accounts only. */
  forceDelete: z.boolean().default(false),
})
export type BootstrapConfig = z.infer<typeof bootstrapConfigSchema>

/**
 * What must exist before the platform stack's first `up`, in an AWS account: the ECR repositories
 * (CI pushes every image before `up` deploys pods pinned to its tags) and the roles GitHub Actions
 * assume through OIDC — one that only pushes images, a deploy role per environment
 * (`infera-ci-<env>`, the stack's `infera:cluster.ci.roleArn`), and a read-only role for
 * pull-request previews.
 */
export class Bootstrap extends pulumi.ComponentResource {
  readonly repositories: Record<ImageName, aws.ecr.Repository>
  readonly pushRoleArn: pulumi.Output<string>
  readonly deployRoleArns: Record<string, pulumi.Output<string>>
  readonly previewRoleArn: pulumi.Output<string>

  constructor(name: string, config: BootstrapConfig, opts?: pulumi.ComponentResourceOptions) {
    super('infera:bootstrap:Bootstrap', name, {}, opts)
    const parent = { parent: this }

    this.repositories = Object.fromEntries(
      IMAGES.map((image) => [image, repository(name, image, config.forceDelete, parent)]),
    ) as Record<ImageName, aws.ecr.Repository>

    const provider =
      config.githubOidcProviderArn ??
      new aws.iam.OpenIdConnectProvider(
        `${name}-github`,
        { url: `https://${GITHUB_ISSUER}`, clientIdLists: ['sts.amazonaws.com'] },
        parent,
      ).arn
    const role = (suffix: string, subjects: string[]) =>
      githubRole(`${name}-ci-${suffix}`, provider, subjects, parent)
    const repo = config.githubRepository

    // Only main and release tags build images: a pull request's code never reaches ECR.
    const push = role('push', [`repo:${repo}:ref:refs/heads/main`, `repo:${repo}:ref:refs/tags/v*`])
    rolePolicy(
      `${name}-ci-push`,
      push,
      [
        // Registry logins can't be scoped to a repository.
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        {
          Effect: 'Allow',
          Action: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:BatchGetImage',
            'ecr:CompleteLayerUpload',
            'ecr:DescribeImages',
            'ecr:GetDownloadUrlForLayer',
            'ecr:InitiateLayerUpload',
            'ecr:PutImage',
            'ecr:UploadLayerPart',
          ],
          Resource: Object.values(this.repositories).map((r) => r.arn),
        },
      ],
      { parent: push },
    )

    // Only a job in the stack's GitHub environment (prod's with required reviewers) may deploy
    // it: staging's job can't assume prod's role, nor become prod's cluster admin.
    this.deployRoleArns = Object.fromEntries(
      config.environments.map((env) => {
        const deploy = role(env, [`repo:${repo}:environment:${env}`])
        // `up` creates VPCs, IAM roles, EKS and RDS: a narrower policy is a known limit.
        attachManagedPolicies(
          `${name}-ci-${env}`,
          deploy,
          ['arn:aws:iam::aws:policy/AdministratorAccess'],
          { parent: deploy },
        )
        return [env, deploy.arn]
      }),
    )

    // Pull requests run code anyone with a branch wrote: they read, never change, the account.
    const preview = role('preview', [`repo:${repo}:pull_request`])
    attachManagedPolicies(
      `${name}-ci-preview`,
      preview,
      ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      { parent: preview },
    )
    if (config.stateBucket)
      rolePolicy(
        `${name}-ci-preview-locks`,
        preview,
        [
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:DeleteObject'],
            Resource: `arn:aws:s3:::${config.stateBucket}/.pulumi/locks/*`,
          },
        ],
        { parent: preview },
      )

    this.pushRoleArn = push.arn
    this.previewRoleArn = preview.arn
    this.registerOutputs({
      pushRoleArn: this.pushRoleArn,
      deployRoleArns: this.deployRoleArns,
      previewRoleArn: this.previewRoleArn,
    })
  }
}

/** A role only GitHub Actions jobs whose OIDC subject matches one of `subjects` may assume. */
function githubRole(
  name: string,
  provider: pulumi.Input<string>,
  subjects: string[],
  opts: pulumi.CustomResourceOptions,
) {
  return new aws.iam.Role(
    name,
    {
      // A fixed name, well under IAM's 64 characters, for the repository's variables.
      name,
      assumeRolePolicy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: provider },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: { [`${GITHUB_ISSUER}:aud`]: 'sts.amazonaws.com' },
              StringLike: { [`${GITHUB_ISSUER}:sub`]: subjects },
            },
          },
        ],
      }),
    },
    opts,
  )
}

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
      name: repositoryName(image),
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
            // Every commit on main is a build: keep enough to roll back across a few releases.
            description: 'keep the last 200 images',
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 200 },
            action: { type: 'expire' },
          },
        ],
      }),
    },
    { parent: repo },
  )
  return repo
}
