import type { ResourceValidationPolicy } from '@pulumi/policy'
import { RDS_CLUSTER_INSTANCE, RDS_INSTANCE } from './lib/rds.ts'
import { forTypes } from './lib/resources.ts'

/** Databases get no public address: they are reached from inside the VPC only. */
export const rdsNotPublic: ResourceValidationPolicy = {
  name: 'rds-not-public',
  description: 'RDS instances must not be publicly accessible.',
  enforcementLevel: 'mandatory',
  validateResource: forTypes([RDS_INSTANCE, RDS_CLUSTER_INSTANCE], (props, _args, report) => {
    if (props.publiclyAccessible === true) report('publiclyAccessible must be false')
  }),
}
