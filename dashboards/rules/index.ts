import { lifecycleRuleGroup } from './lifecycle.ts'
import { driftRuleGroup, servingRuleGroup } from './ml.ts'
import { gatewayRuleGroup, gpuRuleGroup, watchdogRuleGroup } from './platform.ts'
import { sloRuleGroups } from './slo.ts'
import type { RuleGroup } from './types.ts'

/** The rule files, by base name: what `infera alerts build` writes under `rules/`. */
export const ruleFiles = (): Record<string, { groups: RuleGroup[] }> => ({
  slo: { groups: sloRuleGroups() },
  ml: { groups: [driftRuleGroup(), servingRuleGroup(), lifecycleRuleGroup()] },
  platform: { groups: [gatewayRuleGroup(), gpuRuleGroup(), watchdogRuleGroup()] },
})

/** Every group, recording and alerting, as one Prometheus rule file. */
export const buildRuleGroups = (): { groups: RuleGroup[] } => ({
  groups: Object.values(ruleFiles()).flatMap((file) => file.groups),
})

export interface PrometheusRuleOptions {
  name: string
  namespace: string
  /** The labels the Prometheus Operator's `ruleSelector` matches, e.g. `{ release: 'kube-prometheus-stack' }`. */
  labels?: Record<string, string>
}

/** The same rules as a Prometheus Operator `PrometheusRule`. */
export function buildPrometheusRule({ name, namespace, labels = {} }: PrometheusRuleOptions) {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'infera', ...labels } },
    spec: buildRuleGroups(),
  }
}

export type { AlertingRule, RuleGroup } from './types.ts'
export { isAlert } from './types.ts'
