import type { Policies } from '@pulumi/policy'
import { describe, expect, it } from 'vitest'
import { policyReport } from './report.ts'

const policy = (name: string, enforcementLevel?: 'advisory' | 'mandatory') => ({
  name,
  description: name,
  ...(enforcementLevel ? { enforcementLevel } : {}),
  validateResource: () => {},
})

describe('policyReport', () => {
  // As in the pack, a policy without a level takes the pack's: mandatory.
  const policies: Policies = [policy('strict'), policy('hint', 'advisory')]

  it('prints each violation with its level and counts the mandatory ones', () => {
    const report = policyReport(policies, [
      { policy: 'strict', resource: 'urn:a', message: 'broken' },
      { policy: 'hint', resource: 'urn:b', message: 'consider' },
    ])
    expect(report.text.split('\n')).toEqual([
      'policies: 2 checked, 2 violations',
      '  [mandatory] strict: urn:a',
      '      broken',
      '  [advisory] hint: urn:b',
      '      consider',
    ])
    expect(report.mandatory).toBe(1)
  })

  it('has nothing mandatory when only advisory policies complain', () => {
    expect(
      policyReport(policies, [{ policy: 'hint', resource: 'urn:b', message: 'x' }]).mandatory,
    ).toBe(0)
  })
})
