import type { ResourceValidationPolicy } from '@pulumi/policy'
import { allContainers, forPods } from './lib/kubernetes.ts'

/** The tag of an image reference, or undefined without one: the part after the last `/`'s `:`. */
export function imageTag(image: string): string | undefined {
  const [, tag] = (image.split('/').at(-1) ?? '').split(':')
  return tag
}

/** Images are pinned to a tag other than `latest`, or to a digest: a rollout is reproducible. */
export const imagesPinned: ResourceValidationPolicy = {
  name: 'images-pinned',
  description: 'Container images must be pinned to a tag other than latest, or to a digest.',
  enforcementLevel: 'mandatory',
  validateResource: forPods((spec, report) => {
    for (const container of allContainers(spec)) {
      const image = container.image ?? ''
      if (image.includes('@sha256:')) continue
      const tag = imageTag(image)
      if (tag === undefined || tag === 'latest')
        report(`container ${container.name ?? '(unnamed)'} image '${image}' is not pinned`)
    }
  }),
}
