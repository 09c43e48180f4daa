import { describe, expect, it } from 'vitest'
import { s3BucketEncryption } from './s3-bucket-encryption.ts'
import { s3PublicAccessBlock } from './s3-public-access-block.ts'
import { messages } from './testing.ts'

const bucket = { type: 'aws:s3/bucket:Bucket', name: 'models', props: { bucket: 'models-1a2b' } }
const encryption = (props: Record<string, unknown>) => ({
  type: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  name: 'models',
  props,
})
const kms = { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }] }

describe('s3-bucket-encryption', () => {
  it('passes a bucket with default encryption, matched by name', async () => {
    expect(
      await messages(s3BucketEncryption, [bucket, encryption({ bucket: 'models-1a2b', ...kms })]),
    ).toEqual([])
  })

  it('passes a new bucket matched by the property dependency (a preview: its name is unknown)', async () => {
    const config = { ...encryption(kms), propertyDependencies: { bucket: ['urn:models'] } }
    expect(await messages(s3BucketEncryption, [{ ...bucket, urn: 'urn:models' }, config])).toEqual(
      [],
    )
  })

  it('fails a bucket without an encryption configuration', async () => {
    expect(await messages(s3BucketEncryption, [bucket])).toEqual([
      'bucket models has no BucketServerSideEncryptionConfiguration with a default algorithm',
    ])
  })

  it("fails a bucket whose configuration is another bucket's or sets no algorithm", async () => {
    const other = encryption({ bucket: 'other', ...kms })
    const empty = encryption({ bucket: 'models-1a2b', rules: [{ bucketKeyEnabled: true }] })
    expect(await messages(s3BucketEncryption, [bucket, other])).toHaveLength(1)
    expect(await messages(s3BucketEncryption, [bucket, { ...empty, name: 'empty' }])).toHaveLength(
      1,
    )
  })
})

const captures = {
  type: 'aws:s3/bucket:Bucket',
  name: 'captures',
  props: { bucket: 'captures-9z' },
}
const all = {
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
}
const block = (props: Record<string, unknown>) => ({
  type: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  name: 'captures',
  props: { bucket: 'captures-9z', ...props },
})

describe('s3-public-access-block', () => {
  it('passes a bucket blocking all four kinds of public access', async () => {
    expect(await messages(s3PublicAccessBlock, [captures, block(all)])).toEqual([])
  })

  it("passes every bucket when the account's public access block covers them", async () => {
    const account = {
      type: 'aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock',
      name: 'account',
      props: all,
    }
    expect(await messages(s3PublicAccessBlock, [captures, account])).toEqual([])
  })

  it('fails a bucket without a public access block', async () => {
    expect(await messages(s3PublicAccessBlock, [captures])).toEqual([
      'bucket captures has no BucketPublicAccessBlock setting blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets to true',
    ])
  })

  it('fails a block that leaves public policies allowed', async () => {
    expect(
      await messages(s3PublicAccessBlock, [captures, block({ ...all, blockPublicPolicy: false })]),
    ).toHaveLength(1)
  })
})
