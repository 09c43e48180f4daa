import type { EnforcementLevel, Policies } from '@pulumi/policy'
import type { Violation } from './testing.ts'

/**
 * Violations as the offline plan prints them, each with its policy's enforcement level, and how
 * many are mandatory: any one of those would stop `pulumi up`.
 */
export function policyReport(
  policies: Policies,
  violations: Violation[],
  /** The pack's level (index.ts), which policies that set none take. */
  packLevel: EnforcementLevel = 'mandatory',
) {
  const level = new Map(policies.map((p) => [p.name, p.enforcementLevel ?? packLevel]))
  const lines = [`policies: ${policies.length} checked, ${violations.length} violations`]
  for (const v of violations)
    lines.push(`  [${level.get(v.policy)}] ${v.policy}: ${v.resource}`, `      ${v.message}`)
  const mandatory = violations.filter((v) => level.get(v.policy) === 'mandatory').length
  return { text: lines.join('\n'), mandatory }
}
