import type { Severity } from '../slo/index.ts'

/** `page` wakes someone, `ticket` waits for working hours, `info` is read at leisure. */
export type AlertSeverity = Severity | 'info' | 'none'

export interface RecordingRule {
  record: string
  expr: string
  labels?: Record<string, string>
}

export interface AlertingRule {
  alert: string
  expr: string
  for?: string
  /** Every alert names its severity (routing) and service (grouping, inhibition). */
  labels: { severity: AlertSeverity; service: string } & Record<string, string>
  /** Templated with `{{ $labels.NAME }}` only, so the unit tests can state what they read. */
  annotations: { summary: string; description: string }
}

export type Rule = RecordingRule | AlertingRule

export interface RuleGroup {
  name: string
  rules: Rule[]
}

export const isAlert = (rule: Rule): rule is AlertingRule => 'alert' in rule
