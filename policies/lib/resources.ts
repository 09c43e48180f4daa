import type { PolicyResource, ResourceValidationArgs } from '@pulumi/policy'

/** The resource-level validation of every resource whose type is one of `types`. */
export function forTypes(
  types: readonly string[],
  validate: (
    props: ResourceValidationArgs['props'],
    args: ResourceValidationArgs,
    report: (message: string) => void,
  ) => void,
) {
  return (args: ResourceValidationArgs, reportViolation: (message: string) => void) => {
    if (types.includes(args.type)) validate(args.props, args, reportViolation)
  }
}

/**
 * The resources of `types` that configure `bucket`: matched by the bucket's name (known once
 * created) or, during a preview of a new bucket, by the property dependency on it.
 */
export function configuring(
  resources: PolicyResource[],
  types: readonly string[],
  bucket: PolicyResource,
): PolicyResource[] {
  return resources.filter(
    (r) =>
      types.includes(r.type) &&
      ((r.props.bucket !== undefined && r.props.bucket === bucket.props.bucket) ||
        (r.propertyDependencies.bucket ?? []).some((dep) => dep.urn === bucket.urn)),
  )
}

const BUCKET_TYPES = ['aws:s3/bucket:Bucket', 'aws:s3/bucketV2:BucketV2']

/** The stack's S3 buckets. */
export const buckets = (resources: PolicyResource[]) =>
  resources.filter((r) => BUCKET_TYPES.includes(r.type))
