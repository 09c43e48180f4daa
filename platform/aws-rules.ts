// AWS's input rules that only AWS checks, at `pulumi up` time: each function returns what is wrong
// with a value, or undefined when AWS would take it. The preflight policies and the config schema
// call these, so that a mistake fails offline instead of halfway through an `up`.

/** EC2's allowed characters in a security group's description. */
const SG_DESCRIPTION_CHARS = /[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]/g

/** A security group's description: at most 255 of EC2's allowed characters. */
export function securityGroupDescriptionProblem(text: string): string | undefined {
  if (text.length > 255) return `is ${text.length} characters; EC2 allows 255`
  const bad = [...new Set(text.replace(SG_DESCRIPTION_CHARS, ''))]
  if (bad.length)
    return `has ${bad.map((c) => JSON.stringify(c)).join(', ')}; EC2 allows only a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`
  return undefined
}

const IAM_NAME = /^[\w+=,.@-]+$/

/** An IAM role's name: at most 64 characters of `\w+=,.@-`. */
export function iamRoleNameProblem(name: string): string | undefined {
  if (name.length > 64) return `is ${name.length} characters; IAM allows 64`
  if (!IAM_NAME.test(name)) return 'may hold only letters, digits and +=,.@_-'
  return undefined
}

/** An IAM role's `namePrefix`: at most 38 characters, as the provider appends 26 of its own. */
export function iamRoleNamePrefixProblem(prefix: string): string | undefined {
  if (prefix.length > 38) return `is ${prefix.length} characters; a name prefix allows 38`
  if (!IAM_NAME.test(prefix)) return 'may hold only letters, digits and +=,.@_-'
  return undefined
}

/** A load balancer's or target group's name: 1-32 alphanumerics and hyphens, none at either end. */
export function loadBalancerNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 32) return `is ${name.length} characters; ELB allows 1-32`
  if (!/^[a-zA-Z0-9-]+$/.test(name)) return 'may hold only letters, digits and hyphens'
  if (name.startsWith('-') || name.endsWith('-')) return 'must not start or end with a hyphen'
  if (name.toLowerCase().startsWith('internal-')) return 'must not start with "internal-"'
  return undefined
}

/** An RDS DB instance identifier. */
export function rdsIdentifierProblem(id: string): string | undefined {
  if (id.length < 1 || id.length > 63) return `is ${id.length} characters; RDS allows 1-63`
  if (!/^[a-zA-Z]/.test(id)) return 'must start with a letter'
  if (!/^[a-zA-Z0-9-]+$/.test(id)) return 'may hold only letters, digits and hyphens'
  if (id.includes('--')) return 'must not contain two hyphens in a row'
  if (id.endsWith('-')) return 'must not end with a hyphen'
  return undefined
}

/** A general purpose S3 bucket's name. */
export function s3BucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `is ${name.length} characters; S3 allows 3-63`
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name))
    return 'may hold only lowercase letters, digits, dots and hyphens, a letter or digit at each end'
  if (name.includes('..')) return 'must not contain two dots in a row'
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address'
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'must not start with a reserved prefix'
  if (/(-s3alias|--ol-s3|--x-s3|--table-s3|\.mrap)$/.test(name))
    return 'must not end with a reserved suffix'
  return undefined
}
