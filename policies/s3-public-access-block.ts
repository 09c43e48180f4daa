import type { StackValidationPolicy } from '@pulumi/policy'
import { buckets, configuring } from './lib/resources.ts'

const FLAGS = ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets']

/**
 * Every bucket blocks public access: all four settings of a BucketPublicAccessBlock of its own,
 * or of the account's AccountPublicAccessBlock.
 */
export const s3PublicAccessBlock: StackValidationPolicy = {
  name: 's3-public-access-block',
  description: 'S3 buckets must block public access (all four public access block settings).',
  enforcementLevel: 'mandatory',
  validateStack: (args, reportViolation) => {
    const blocksAll = (props: Record<string, unknown>) =>
      FLAGS.every((flag) => props[flag] === true)
    const account = args.resources.some(
      (r) =>
        r.type === 'aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock' && blocksAll(r.props),
    )
    if (account) return
    for (const bucket of buckets(args.resources)) {
      const blocks = configuring(
        args.resources,
        ['aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock'],
        bucket,
      )
      if (!blocks.some((block) => blocksAll(block.props)))
        reportViolation(
          `bucket ${bucket.name} has no BucketPublicAccessBlock setting ${FLAGS.join(', ')} to true`,
          bucket.urn,
        )
    }
  },
}
