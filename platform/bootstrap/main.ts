// The bootstrap stack's program (platform/bootstrap/Pulumi.yaml): run once per AWS account, by
// hand, before the platform stacks — it creates the roles CI then uses (docs/platform.md).
import * as pulumi from '@pulumi/pulumi'
import { Bootstrap, bootstrapConfigSchema } from './index.ts'

const config = new pulumi.Config()
const parsed = bootstrapConfigSchema.safeParse({
  githubRepository: config.get('githubRepository'),
  environments: config.getObject('environments'),
  githubOidcProviderArn: config.get('githubOidcProviderArn'),
  stateBucket: config.get('stateBucket'),
  forceDelete: config.getBoolean('forceDelete'),
})
if (!parsed.success)
  throw new Error(
    parsed.error.issues.map((i) => `infera-bootstrap:${i.path.join('.')}: ${i.message}`).join('\n'),
  )

const bootstrap = new Bootstrap('infera', parsed.data)

/** `vars.AWS_PUSH_ROLE_ARN`: the build job pushes images with it. */
export const pushRoleArn = bootstrap.pushRoleArn
/** Per environment: its `vars.AWS_ROLE_ARN`, and the stack's `infera:cluster.ci.roleArn`. */
export const deployRoleArns = bootstrap.deployRoleArns
/** `vars.AWS_PREVIEW_ROLE_ARN`: pull-request previews run with it. */
export const previewRoleArn = bootstrap.previewRoleArn
export const repositories = Object.fromEntries(
  Object.entries(bootstrap.repositories).map(([image, repo]) => [image, repo.repositoryUrl]),
)
