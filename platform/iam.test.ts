// IAM role names are autonamed from the logical name plus an 8-character suffix, and AWS refuses
// one over 64 characters only at `pulumi up`: every stack's roles must fit.
import { describe, expect, it } from 'vitest'
import { iamRoleNamePrefixProblem, iamRoleNameProblem } from './aws-rules.ts'
import { platformRun } from './testing/stacks.ts'

describe.each(['dev', 'staging', 'prod'])('the %s IAM roles', (stack) => {
  it('have names IAM accepts', async () => {
    const roles = (await platformRun(stack)).find.all('aws:iam/role:Role')
    expect(roles.length).toBeGreaterThan(0)
    for (const role of roles) {
      const { name, namePrefix } = role.inputs as { name?: string; namePrefix?: string }
      if (namePrefix !== undefined)
        expect(iamRoleNamePrefixProblem(namePrefix), namePrefix).toBeUndefined()
      const effective = name ?? `${role.name}-0a1b2c3`
      expect(iamRoleNameProblem(effective), effective).toBeUndefined()
    }
  })
})
