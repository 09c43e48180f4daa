// Bucket names are autonamed from the logical name plus a 7-character suffix, and AWS checks them
// only at `pulumi up`: each stack's must be names S3 takes.
import { describe, expect, it } from 'vitest'
import { s3BucketNameProblem } from '../aws-rules.ts'
import { platformRun } from '../testing/stacks.ts'

describe.each(['dev', 'staging', 'prod'])('the %s buckets', (stack) => {
  it('have names S3 accepts', async () => {
    const buckets = (await platformRun(stack)).find.all('aws:s3/bucket:Bucket')
    expect(buckets.map((b) => b.name.split('-').at(-1)).sort()).toEqual([
      'artifacts',
      'captures',
      'reports',
    ])
    for (const bucket of buckets) {
      const name = (bucket.inputs.bucket as string | undefined) ?? `${bucket.name}-0a1b2c3`
      expect(s3BucketNameProblem(name), name).toBeUndefined()
    }
  })
})
