// Every PromQL expression the generated dashboards and rules run, with where it comes from, and
// the metric names each one reads.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import type * as prometheus from '@grafana/grafana-foundation-sdk/prometheus'
import { metricNames, variableMetricNames } from '../promql/index.ts'
import type { RuleGroup } from '../rules/index.ts'

export interface Usage {
  /** `dashboard inference: panel "Request rate"`, `rule InferaModelNotReady`, … */
  source: string
  expr: string
  names: string[]
}

/** A panel's queries: built dashboards are plain JSON, so Prometheus queries without markers. */
export const promTargets = (panel: dashboard.Panel) =>
  (panel.targets ?? []) as unknown as prometheus.Dataquery[]

export function dashboardUsages(dashboards: Record<string, object>): Usage[] {
  return Object.entries(dashboards).flatMap(([file, json]) => {
    const { panels = [], templating, annotations } = json as dashboard.Dashboard
    const fromPanels = panels.flatMap((panel) =>
      promTargets(panel as dashboard.Panel).map(({ expr }) => ({
        source: `dashboard ${file}: panel "${panel.title}"`,
        expr,
        names: metricNames(expr),
      })),
    )
    const fromVariables = (templating?.list ?? [])
      .filter((variable) => variable.type === 'query')
      .map((variable) => {
        const expr = String(variable.query)
        return {
          source: `dashboard ${file}: variable ${variable.name}`,
          expr,
          names: variableMetricNames(expr),
        }
      })
    const fromAnnotations = (annotations?.list ?? []).flatMap(({ name, expr }) =>
      expr
        ? [{ source: `dashboard ${file}: annotation "${name}"`, expr, names: metricNames(expr) }]
        : [],
    )
    return [...fromPanels, ...fromAnnotations, ...fromVariables]
  })
}

export const ruleUsages = (groups: RuleGroup[]): Usage[] =>
  groups.flatMap((group) =>
    group.rules.map((rule) => ({
      source: `rule ${'alert' in rule ? rule.alert : rule.record} (${group.name})`,
      expr: rule.expr,
      names: metricNames(rule.expr),
    })),
  )
