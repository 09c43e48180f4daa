import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import type { PlatformConfig } from '../config/index.ts'

/** S3's minimum age for moving objects to infrequent access. */
const IA_MIN_DAYS = 30

interface BucketSpec {
  purpose: string
  /** Days an old object version is kept: for undoing mistakes, not for keeping. */
  noncurrentDays: number
  /** Days after which objects are deleted; kept forever without. */
  expirationDays?: number
}

/**
 * The platform's S3 buckets: model artifacts (the registry's artifacts and training outputs),
 * captured requests (what retraining trains on, expired after a while) and reports. Each is
 * encrypted with KMS, versioned, owner-enforced, blocked from public access and refuses plain-HTTP
 * requests.
 */
export class Storage extends pulumi.ComponentResource {
  readonly artifacts: aws.s3.Bucket
  readonly captures: aws.s3.Bucket
  readonly reports: aws.s3.Bucket

  constructor(
    name: string,
    args: { config: PlatformConfig['storage'] },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super('infera:platform:Storage', name, {}, opts)
    const { config } = args
    const bucket = (suffix: string, spec: BucketSpec) =>
      secureBucket(`${name}-${suffix}`, spec, config.forceDestroy, { parent: this })

    this.artifacts = bucket('artifacts', { purpose: 'model artifacts', noncurrentDays: 30 })
    this.captures = bucket('captures', {
      purpose: 'captured requests',
      // Capture files are re-uploaded as they grow: the superseded copies are worthless.
      noncurrentDays: 1,
      expirationDays: config.captureExpirationDays,
    })
    this.reports = bucket('reports', {
      purpose: 'drift and load-test reports',
      noncurrentDays: 7,
      expirationDays: config.reportExpirationDays,
    })

    this.registerOutputs({
      artifacts: this.artifacts.bucket,
      captures: this.captures.bucket,
      reports: this.reports.bucket,
    })
  }
}

function secureBucket(
  name: string,
  spec: BucketSpec,
  forceDestroy: boolean,
  opts: pulumi.CustomResourceOptions,
): aws.s3.Bucket {
  const bucket = new aws.s3.Bucket(
    name,
    { forceDestroy, tags: { 'infera:purpose': spec.purpose } },
    opts,
  )
  const child = { parent: bucket }
  new aws.s3.BucketOwnershipControls(
    name,
    { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
    child,
  )
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    name,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    child,
  )
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' },
          // One data key per bucket rather than a KMS call per object.
          bucketKeyEnabled: true,
        },
      ],
    },
    child,
  )
  const versioning = new aws.s3.BucketVersioning(
    name,
    { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } },
    child,
  )
  const expiration = spec.expirationDays
  new aws.s3.BucketLifecycleConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        {
          id: 'lifecycle',
          status: 'Enabled',
          filter: {},
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          noncurrentVersionExpiration: { noncurrentDays: spec.noncurrentDays },
          ...(expiration === undefined ? {} : { expiration: { days: expiration } }),
          // Objects read rarely after a month, when they live long enough for it to pay.
          ...(expiration === undefined || expiration > 2 * IA_MIN_DAYS
            ? { transitions: [{ days: IA_MIN_DAYS, storageClass: 'STANDARD_IA' }] }
            : {}),
        },
      ],
    },
    // Rules on versions need versioning in place first.
    { ...child, dependsOn: [versioning] },
  )
  new aws.s3.BucketPolicy(
    name,
    {
      bucket: bucket.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyPlainHttp',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    },
    // A bucket policy put before the public access block could be judged public and refused.
    { ...child, dependsOn: [publicAccessBlock] },
  )
  return bucket
}
