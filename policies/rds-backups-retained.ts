import type { ResourceValidationPolicy } from '@pulumi/policy'
import { environmentConfig, isProduction } from './lib/environment.ts'
import { RDS_CLUSTER, RDS_INSTANCE } from './lib/rds.ts'
import { forTypes } from './lib/resources.ts'

/** Days of automated backups production keeps at least: a week of point-in-time recovery. */
export const PRODUCTION_RETENTION_DAYS = 7

/**
 * Databases keep automated backups: at least a day everywhere, a week in production. The period
 * must be set: 0 turns backups off, and the provider's default differs between engines.
 */
export const rdsBackupsRetained: ResourceValidationPolicy = {
  name: 'rds-backups-retained',
  description: `RDS must keep automated backups: at least 1 day, ${PRODUCTION_RETENTION_DAYS} in production.`,
  enforcementLevel: 'mandatory',
  configSchema: environmentConfig,
  validateResource: forTypes([RDS_INSTANCE, RDS_CLUSTER], (props, args, report) => {
    const minimum = isProduction(args) ? PRODUCTION_RETENTION_DAYS : 1
    const days = props.backupRetentionPeriod
    if (typeof days !== 'number' || days < minimum)
      report(`backupRetentionPeriod must be at least ${minimum} days, not ${days ?? 'unset'}`)
  }),
}
