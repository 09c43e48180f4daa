import type { ResourceValidationPolicy } from '@pulumi/policy'
import { RDS_CLUSTER, RDS_INSTANCE } from './lib/rds.ts'
import { forTypes } from './lib/resources.ts'

/** Databases encrypt their storage (and so their snapshots and backups). */
export const rdsStorageEncrypted: ResourceValidationPolicy = {
  name: 'rds-storage-encrypted',
  description: 'RDS instances and Aurora clusters must encrypt their storage.',
  enforcementLevel: 'mandatory',
  validateResource: forTypes([RDS_INSTANCE, RDS_CLUSTER], (props, _args, report) => {
    if (props.storageEncrypted !== true) report('storageEncrypted must be true')
  }),
}
