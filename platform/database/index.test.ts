// What AWS checks only at `pulumi up`, for the database's resources in every stack.
import { describe, expect, it } from 'vitest'
import { rdsIdentifierProblem, securityGroupDescriptionProblem } from '../aws-rules.ts'
import { platformRun } from '../testing/stacks.ts'

describe.each(['dev', 'staging', 'prod'])('the %s database', (stack) => {
  it('has security group and rule descriptions EC2 accepts, as has every other one', async () => {
    const run = await platformRun(stack)
    const descriptions = [
      ...run.find.all('aws:ec2/securityGroup:SecurityGroup'),
      ...run.find.all('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule'),
    ]
      .map((r) => r.inputs.description as string | undefined)
      .filter((text) => text !== undefined)
    expect(descriptions.length).toBeGreaterThan(0)
    for (const text of descriptions)
      expect(securityGroupDescriptionProblem(text), text).toBeUndefined()
  })

  it('has a final snapshot identifier RDS accepts, where it takes one', async () => {
    const run = await platformRun(stack)
    const { finalSnapshotIdentifier } = run.find.one('aws:rds/instance:Instance').inputs
    if (finalSnapshotIdentifier)
      expect(rdsIdentifierProblem(finalSnapshotIdentifier)).toBeUndefined()
  })
})
