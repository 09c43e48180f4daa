import { describe, expect, it } from 'vitest'
import { rdsBackupsRetained } from './rds-backups-retained.ts'
import { rdsDeletionProtection } from './rds-deletion-protection.ts'
import { rdsNotPublic } from './rds-not-public.ts'
import { rdsStorageEncrypted } from './rds-storage-encrypted.ts'
import { messages } from './testing.ts'

const instance = (props: Record<string, unknown>) => ({
  type: 'aws:rds/instance:Instance',
  name: 'db',
  props: {
    storageEncrypted: true,
    publiclyAccessible: false,
    backupRetentionPeriod: 14,
    deletionProtection: true,
    ...props,
  },
})
const dev = { environment: 'dev' }

describe('rds-storage-encrypted', () => {
  it('passes encrypted storage', async () => {
    expect(await messages(rdsStorageEncrypted, [instance({})])).toEqual([])
  })

  it('fails unencrypted or unset storage encryption, on instances and Aurora clusters', async () => {
    expect(await messages(rdsStorageEncrypted, [instance({ storageEncrypted: false })])).toEqual([
      'storageEncrypted must be true',
    ])
    const cluster = { type: 'aws:rds/cluster:Cluster', name: 'aurora', props: {} }
    expect(await messages(rdsStorageEncrypted, [cluster])).toHaveLength(1)
  })
})

describe('rds-not-public', () => {
  it('passes a private instance, and one left at the default', async () => {
    expect(
      await messages(rdsNotPublic, [instance({}), instance({ publiclyAccessible: undefined })]),
    ).toEqual([])
  })

  it('fails a publicly accessible instance', async () => {
    expect(await messages(rdsNotPublic, [instance({ publiclyAccessible: true })])).toEqual([
      'publiclyAccessible must be false',
    ])
  })
})

describe('rds-backups-retained', () => {
  it('passes a week of backups in production and a day elsewhere', async () => {
    expect(await messages(rdsBackupsRetained, [instance({ backupRetentionPeriod: 7 })])).toEqual([])
    expect(
      await messages(rdsBackupsRetained, [instance({ backupRetentionPeriod: 1 })], dev),
    ).toEqual([])
  })

  it('fails disabled or unset backups, and a short retention in production', async () => {
    expect(
      await messages(rdsBackupsRetained, [instance({ backupRetentionPeriod: 0 })], dev),
    ).toEqual(['backupRetentionPeriod must be at least 1 days, not 0'])
    expect(
      await messages(rdsBackupsRetained, [instance({ backupRetentionPeriod: undefined })], dev),
    ).toHaveLength(1)
    expect(await messages(rdsBackupsRetained, [instance({ backupRetentionPeriod: 3 })])).toEqual([
      'backupRetentionPeriod must be at least 7 days, not 3',
    ])
  })
})

describe('rds-deletion-protection', () => {
  it('passes a protected production database and an unprotected dev one', async () => {
    expect(await messages(rdsDeletionProtection, [instance({})], { environment: 'prod' })).toEqual(
      [],
    )
    expect(
      await messages(rdsDeletionProtection, [instance({ deletionProtection: false })], dev),
    ).toEqual([])
  })

  it('fails an unprotected database in production, which is what no config means', async () => {
    const unprotected = instance({ deletionProtection: false })
    expect(await messages(rdsDeletionProtection, [unprotected], { environment: 'prod' })).toEqual([
      'deletionProtection must be true in production',
    ])
    expect(await messages(rdsDeletionProtection, [unprotected])).toHaveLength(1)
  })
})
