// Dashboards, alert rules and Alertmanager's configuration as code, from one SLO definition.
// Pure builders with no I/O and no Node-only imports: the Pulumi program imports this module.
export { AlertReceivers, buildAlertmanagerConfig } from './alertmanager/index.ts'
export { buildDashboards } from './boards/index.ts'
export {
  buildPrometheusRule,
  buildRuleGroups,
  type PrometheusRuleOptions,
  ruleFiles,
} from './rules/index.ts'
export {
  burnWindows,
  errorBudget,
  type Sli,
  type Slo,
  type SloService,
  slos,
} from './slo/index.ts'
