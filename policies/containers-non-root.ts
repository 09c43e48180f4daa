import type { ResourceValidationPolicy } from '@pulumi/policy'
import { allContainers, forPods } from './lib/kubernetes.ts'

/**
 * Containers run as a non-root user, unprivileged, without privilege escalation. A container's
 * own security context overrides the pod's, as the kubelet applies them.
 */
export const containersNonRoot: ResourceValidationPolicy = {
  name: 'containers-non-root',
  description: 'Containers must run as non-root, unprivileged, without privilege escalation.',
  enforcementLevel: 'mandatory',
  validateResource: forPods((spec, report) => {
    for (const container of allContainers(spec)) {
      const own = container.securityContext ?? {}
      const runAsNonRoot = own.runAsNonRoot ?? spec.securityContext?.runAsNonRoot
      const runAsUser = own.runAsUser ?? spec.securityContext?.runAsUser
      const name = container.name ?? '(unnamed)'
      if (runAsUser === 0) report(`container ${name} runs as user 0`)
      else if (runAsNonRoot !== true && !(typeof runAsUser === 'number' && runAsUser > 0))
        report(`container ${name} may run as root: set runAsNonRoot or a non-zero runAsUser`)
      if (own.privileged === true) report(`container ${name} is privileged`)
      if (own.allowPrivilegeEscalation !== false)
        report(`container ${name} must set allowPrivilegeEscalation: false`)
    }
  }),
}
