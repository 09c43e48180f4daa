import type { ResourceValidationPolicy } from '@pulumi/policy'
import { clusterSettings } from './lib/eks.ts'
import { environmentConfig, isProduction } from './lib/environment.ts'

/** A production cluster's API server is reachable from inside the VPC only. */
export const eksPrivateEndpoint: ResourceValidationPolicy = {
  name: 'eks-private-endpoint',
  description: 'EKS clusters in production must have a private API endpoint and no public one.',
  enforcementLevel: 'mandatory',
  configSchema: environmentConfig,
  validateResource: (args, reportViolation) => {
    const cluster = clusterSettings(args.type, args.props)
    if (!cluster || !isProduction(args)) return
    if (cluster.endpointPrivateAccess !== true)
      reportViolation('endpointPrivateAccess must be true in production')
    // Both the API and the component default to a public endpoint.
    if (cluster.endpointPublicAccess !== false)
      reportViolation('endpointPublicAccess must be false in production')
  },
}
