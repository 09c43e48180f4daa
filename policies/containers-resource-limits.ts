import type { ResourceValidationPolicy } from '@pulumi/policy'
import { allContainers, forPods } from './lib/kubernetes.ts'

/** Every container has CPU and memory limits: one pod can't starve its node's neighbours. */
export const containersResourceLimits: ResourceValidationPolicy = {
  name: 'containers-resource-limits',
  description: 'Containers must set CPU and memory limits.',
  enforcementLevel: 'mandatory',
  validateResource: forPods((spec, report) => {
    for (const container of allContainers(spec)) {
      const limits = container.resources?.limits ?? {}
      const missing = ['cpu', 'memory'].filter((resource) => limits[resource] === undefined)
      if (missing.length)
        report(`container ${container.name ?? '(unnamed)'} has no ${missing.join(' or ')} limit`)
    }
  }),
}
