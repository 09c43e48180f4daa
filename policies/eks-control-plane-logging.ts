import type { ResourceValidationPolicy } from '@pulumi/policy'
import { clusterSettings } from './lib/eks.ts'

/** Who did what to the cluster: the API, audit and authenticator logs go to CloudWatch. */
export const REQUIRED_LOG_TYPES = ['api', 'audit', 'authenticator']

export const eksControlPlaneLogging: ResourceValidationPolicy = {
  name: 'eks-control-plane-logging',
  description: `EKS clusters must send the ${REQUIRED_LOG_TYPES.join(', ')} control-plane logs to CloudWatch.`,
  enforcementLevel: 'mandatory',
  validateResource: (args, reportViolation) => {
    const cluster = clusterSettings(args.type, args.props)
    if (!cluster) return
    const enabled = cluster.enabledClusterLogTypes ?? []
    const missing = REQUIRED_LOG_TYPES.filter((type) => !enabled.includes(type))
    if (missing.length) reportViolation(`enabledClusterLogTypes is missing ${missing.join(', ')}`)
  },
}
