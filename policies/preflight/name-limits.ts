import type { ResourceValidationPolicy } from '@pulumi/policy'
import {
  iamRoleNamePrefixProblem,
  iamRoleNameProblem,
  loadBalancerNameProblem,
  rdsIdentifierProblem,
  s3BucketNameProblem,
} from '../../platform/aws-rules.ts'

type Rule = (name: string) => string | undefined

/** Per resource type, the name properties AWS limits, and the rule each must pass. */
const NAMES: Record<string, Record<string, Rule>> = {
  'aws:iam/role:Role': { name: iamRoleNameProblem, namePrefix: iamRoleNamePrefixProblem },
  'aws:lb/loadBalancer:LoadBalancer': { name: loadBalancerNameProblem },
  'aws:lb/targetGroup:TargetGroup': { name: loadBalancerNameProblem },
  'aws:alb/loadBalancer:LoadBalancer': { name: loadBalancerNameProblem },
  'aws:alb/targetGroup:TargetGroup': { name: loadBalancerNameProblem },
  'aws:rds/instance:Instance': { identifier: rdsIdentifierProblem },
  'aws:rds/cluster:Cluster': { clusterIdentifier: rdsIdentifierProblem },
  'aws:rds/clusterInstance:ClusterInstance': { identifier: rdsIdentifierProblem },
  'aws:s3/bucket:Bucket': { bucket: s3BucketNameProblem },
  'aws:s3/bucketV2:BucketV2': { bucket: s3BucketNameProblem },
}

/** Where a name isn't set, Pulumi makes one: the resource's name, a hyphen, 7 random characters. */
const AUTONAMED = new Set(['name', 'identifier', 'clusterIdentifier', 'bucket'])
const autoname = (resourceName: string) => `${resourceName}-0000000`

/**
 * Names AWS limits — IAM roles, load balancers and target groups, RDS identifiers, S3 buckets —
 * fit those limits, the ones Pulumi generates from a resource's name included: a long resource
 * name otherwise passes every test and fails at `up`.
 */
export const nameLimits: ResourceValidationPolicy = {
  name: 'name-limits',
  description: "AWS resource names must fit AWS's length and character limits.",
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    const rules = NAMES[args.type]
    if (!rules) return
    const prefixed = Object.keys(rules).some((prop) => args.props[`${prop}Prefix`] !== undefined)
    for (const [prop, rule] of Object.entries(rules)) {
      const given: unknown = args.props[prop]
      const name = given ?? (AUTONAMED.has(prop) && !prefixed ? autoname(args.name) : undefined)
      if (typeof name !== 'string') continue
      const problem = rule(name)
      if (problem)
        report(`${prop} '${name}'${given === undefined ? ' (generated)' : ''} ${problem}`)
    }
  },
}
