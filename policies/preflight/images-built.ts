import type { ResourceValidationPolicy } from '@pulumi/policy'
import { allContainers, podSpec } from '../lib/kubernetes.ts'
import { ciBuiltRepositories } from './ci-images.ts'

/** A private ECR registry's host: `<account>.dkr.ecr.<region>.amazonaws.com`. */
const PRIVATE_ECR = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//

/** The repositories CI's build job pushes to before `up`, read from its workflow. */
export const BUILT_REPOSITORIES = ciBuiltRepositories()

/**
 * Every image the stack runs from the account's ECR is in a repository that CI's build job pushes
 * to before `up` (those of the platform workflow's build steps, or config `builtRepositories`):
 * any other is an ImagePullBackOff and an await timeout. images-pinned judges third-party images.
 */
export const imagesBuilt: ResourceValidationPolicy = {
  name: 'images-built',
  description: "Images from the account's ECR must be ones CI's build job pushes.",
  enforcementLevel: 'mandatory',
  configSchema: {
    properties: {
      builtRepositories: {
        type: 'array',
        items: { type: 'string' },
        default: BUILT_REPOSITORIES,
      },
    },
  },
  validateResource: (args, report) => {
    const spec = podSpec(args.type, args.props)
    if (!spec) return
    const built =
      args.getConfig<{ builtRepositories?: string[] }>().builtRepositories ?? BUILT_REPOSITORIES
    for (const container of allContainers(spec)) {
      const image = container.image ?? ''
      if (!PRIVATE_ECR.test(image)) continue
      const repository = image.replace(PRIVATE_ECR, '').split(/[:@]/)[0] ?? ''
      if (!built.includes(repository))
        report(
          `container ${container.name ?? '(unnamed)'} image '${image}': no build pushes ` +
            `${repository}; CI builds ${built.join(', ')}`,
        )
    }
  },
}
