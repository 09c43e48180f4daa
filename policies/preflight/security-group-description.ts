import type { ResourceValidationPolicy } from '@pulumi/policy'
import { securityGroupDescriptionProblem } from '../../platform/aws-rules.ts'
import { forTypes } from '../lib/resources.ts'

const SECURITY_GROUP = 'aws:ec2/securityGroup:SecurityGroup'
const RULES = [
  'aws:ec2/securityGroupRule:SecurityGroupRule',
  'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
]

type Rule = { description?: string }

/**
 * Security groups' and their rules' descriptions use EC2's few characters and fit its length:
 * anything else is an `InvalidParameterValue` at `up`, after everything before it was created.
 */
export const securityGroupDescription: ResourceValidationPolicy = {
  name: 'security-group-description',
  description: "Security group and rule descriptions must pass EC2's charset and length rules.",
  enforcementLevel: 'mandatory',
  validateResource: forTypes([SECURITY_GROUP, ...RULES], (props, _args, report) => {
    const described: [string, string | undefined][] = [['description', props.description]]
    for (const direction of ['ingress', 'egress'])
      for (const [i, rule] of ((props[direction] ?? []) as Rule[]).entries())
        described.push([`${direction}[${i}].description`, rule.description])
    for (const [where, text] of described) {
      const problem = text === undefined ? undefined : securityGroupDescriptionProblem(text)
      if (problem) report(`${where} ${JSON.stringify(text)}: ${problem}`)
    }
  }),
}
