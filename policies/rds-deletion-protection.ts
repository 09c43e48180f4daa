import type { ResourceValidationPolicy } from '@pulumi/policy'
import { environmentConfig, isProduction } from './lib/environment.ts'
import { RDS_CLUSTER, RDS_INSTANCE } from './lib/rds.ts'
import { forTypes } from './lib/resources.ts'

/** Production databases can't be deleted by a mistaken `pulumi destroy` or replacement. */
export const rdsDeletionProtection: ResourceValidationPolicy = {
  name: 'rds-deletion-protection',
  description: 'RDS instances and Aurora clusters must have deletion protection in production.',
  enforcementLevel: 'mandatory',
  configSchema: environmentConfig,
  validateResource: forTypes([RDS_INSTANCE, RDS_CLUSTER], (props, args, report) => {
    if (!isProduction(args)) return
    if (props.deletionProtection !== true) report('deletionProtection must be true in production')
  }),
}
