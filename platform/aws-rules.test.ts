import { describe, expect, it } from 'vitest'
import {
  iamRoleNamePrefixProblem,
  iamRoleNameProblem,
  loadBalancerNameProblem,
  rdsIdentifierProblem,
  s3BucketNameProblem,
  securityGroupDescriptionProblem,
} from './aws-rules.ts'

describe('AWS input rules', () => {
  it("security group descriptions: EC2's characters, at most 255", () => {
    expect(
      securityGroupDescriptionProblem('PostgreSQL for infera-prod: from the cluster nodes only'),
    ).toBeUndefined()
    expect(securityGroupDescriptionProblem("PostgreSQL: the cluster's nodes only")).toBe(
      'has "\'"; EC2 allows only a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*',
    )
    expect(
      securityGroupDescriptionProblem('ok [a-z] {x} (y) #1, @2 + = & ; ! $ * / _'),
    ).toBeUndefined()
    expect(securityGroupDescriptionProblem('naïve "quoted"')).toMatch(/^has "ï", "\\""/)
    expect(securityGroupDescriptionProblem('x'.repeat(256))).toBe(
      'is 256 characters; EC2 allows 255',
    )
  })

  it('IAM role names: 64 characters, prefixes 38', () => {
    expect(iamRoleNameProblem('infera-prod-registry')).toBeUndefined()
    expect(iamRoleNameProblem('r'.repeat(65))).toBe('is 65 characters; IAM allows 64')
    expect(iamRoleNameProblem('a role')).toMatch(/only letters/)
    expect(iamRoleNamePrefixProblem('p'.repeat(38))).toBeUndefined()
    expect(iamRoleNamePrefixProblem('p'.repeat(39))).toBe(
      'is 39 characters; a name prefix allows 38',
    )
  })

  it('load balancer and target group names: 1-32 alphanumerics and inner hyphens', () => {
    expect(loadBalancerNameProblem('infera-prod-gateway')).toBeUndefined()
    expect(loadBalancerNameProblem('a'.repeat(33))).toBe('is 33 characters; ELB allows 1-32')
    expect(loadBalancerNameProblem('gateway-')).toMatch(/hyphen/)
    expect(loadBalancerNameProblem('infera_gw')).toMatch(/only letters/)
    expect(loadBalancerNameProblem('internal-gw')).toMatch(/internal-/)
  })

  it('RDS identifiers: 1-63, a letter first, no double or trailing hyphen', () => {
    expect(rdsIdentifierProblem('infera-prod')).toBeUndefined()
    expect(rdsIdentifierProblem('1infera')).toBe('must start with a letter')
    expect(rdsIdentifierProblem('infera--prod')).toMatch(/two hyphens/)
    expect(rdsIdentifierProblem('infera-')).toMatch(/end with a hyphen/)
    expect(rdsIdentifierProblem('infera_prod')).toMatch(/only letters/)
    expect(rdsIdentifierProblem('a'.repeat(64))).toBe('is 64 characters; RDS allows 1-63')
  })

  it('S3 bucket names: 3-63 lowercase characters, no IPs or reserved affixes', () => {
    expect(s3BucketNameProblem('infera-prod-artifacts-0a1b2c3')).toBeUndefined()
    expect(s3BucketNameProblem('ab')).toBe('is 2 characters; S3 allows 3-63')
    expect(s3BucketNameProblem('Infera-Prod')).toMatch(/lowercase/)
    expect(s3BucketNameProblem('infera-')).toMatch(/lowercase/)
    expect(s3BucketNameProblem('a..b')).toMatch(/two dots/)
    expect(s3BucketNameProblem('192.168.5.4')).toMatch(/IP address/)
    expect(s3BucketNameProblem('xn--bucket')).toMatch(/reserved prefix/)
    expect(s3BucketNameProblem('bucket-s3alias')).toMatch(/reserved suffix/)
  })
})
