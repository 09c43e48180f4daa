import type { StackValidationPolicy } from '@pulumi/policy'
import { buckets, configuring } from './lib/resources.ts'

const ENCRYPTION_TYPES = [
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  'aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2',
] as const
const ALGORITHMS = ['aws:kms', 'aws:kms:dsse', 'AES256']

/**
 * Every bucket has default server-side encryption configured. In @pulumi/aws v7 that is a
 * resource of its own, so the rule looks at the stack: each bucket must have one that encrypts.
 */
export const s3BucketEncryption: StackValidationPolicy = {
  name: 's3-bucket-encryption',
  description: 'S3 buckets must have default server-side encryption (SSE-S3 or SSE-KMS).',
  enforcementLevel: 'mandatory',
  validateStack: (args, reportViolation) => {
    for (const bucket of buckets(args.resources)) {
      const encrypts = configuring(args.resources, ENCRYPTION_TYPES, bucket).some((config) =>
        (config.props.rules ?? []).some(
          (rule: { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }) =>
            ALGORITHMS.includes(rule.applyServerSideEncryptionByDefault?.sseAlgorithm ?? ''),
        ),
      )
      if (!encrypts)
        reportViolation(
          `bucket ${bucket.name} has no BucketServerSideEncryptionConfiguration with a default algorithm`,
          bucket.urn,
        )
    }
  },
}
