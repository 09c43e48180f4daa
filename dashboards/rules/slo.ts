// Recording rules and multiwindow, multi-burn-rate alerts for every SLO, in the shape Sloth and
// Pyrra generate: the error ratio recorded over each window the alerts read, then one alert per
// SLO whose severity says which pair of windows is burning.
import { burnWindows, duration, errorBudget, type Slo, slos } from '../slo/index.ts'
import type { AlertingRule, RecordingRule, RuleGroup } from './types.ts'

/** Where each service's SLIs come from. */
export const SLI_SOURCES = {
  gateway: {
    requests: 'infera_gateway_requests_total',
    duration: 'infera_gateway_request_duration_seconds',
    modelLabel: 'route',
    // Requests routed to a model: scrapes, health checks and refusals before routing have no route.
    scope: 'route!=""',
  },
  inference: {
    requests: 'infera_inference_requests_total',
    duration: 'infera_inference_request_duration_seconds',
    modelLabel: 'model',
    // Requests for models that do not exist share one label value; they are 404s, not traffic.
    scope: 'model!="unknown"',
  },
} as const

/** The recorded error ratio of every SLO over a window, e.g. `slo:sli_error:ratio_rate5m`. */
export const errorRatioRecord = (minutes: number) => `slo:sli_error:ratio_rate${duration(minutes)}`
export const OBJECTIVE_RECORD = 'slo:objective:ratio'
export const BUDGET_RECORD = 'slo:error_budget:ratio'
export const BUDGET_REMAINING_RECORD = 'slo:error_budget_remaining:ratio'

/** Every window an SLO's rules record: the alerts' long and short ones and the SLO's own. */
function recordedWindows(slo: Slo): number[] {
  const minutes = burnWindows(slo).flatMap((w) => [w.longMinutes, w.shortMinutes])
  return [...new Set([...minutes, slo.windowDays * 24 * 60])].sort((a, b) => a - b)
}

function errorRatio(slo: Slo, minutes: number): string {
  const source = SLI_SOURCES[slo.service]
  const by = slo.perModel ? ` by (${source.modelLabel})` : ''
  const range = duration(minutes)
  if (slo.sli.kind === 'latency') {
    const le = String(slo.sli.thresholdSeconds)
    const within = `sum${by} (rate(${source.duration}_bucket{${source.scope},le="${le}"}[${range}]))`
    const all = `sum${by} (rate(${source.duration}_count{${source.scope}}[${range}]))`
    return `1 - ${within} / ${all}`
  }
  const all = `sum${by} (rate(${source.requests}{${source.scope}}[${range}]))`
  const bad = `sum${by} (rate(${source.requests}{${source.scope},status=~"5.."}[${range}]))`
  // No 5xx series yet must read as a ratio of 0, not as no ratio at all.
  return `(${bad} or ${all} * 0) / ${all}`
}

const pascalCase = (name: string) =>
  name.replace(/(?:^|-)(\w)/g, (_, letter: string) => letter.toUpperCase())

export const burnAlertName = (slo: Slo) => `Infera${pascalCase(slo.name)}ErrorBudgetBurn`

const percent = (share: number) => `${Number((share * 100).toPrecision(6))}%`

function burnAlert(slo: Slo, severity: 'page' | 'ticket'): AlertingRule {
  const windows = burnWindows(slo).filter((w) => w.severity === severity)
  const budget = errorBudget(slo)
  const selector = `{slo="${slo.name}"}`
  const expr = windows
    .map(({ longMinutes, shortMinutes, burnRate }) => {
      const factor = `(${burnRate} * ${budget})`
      return `(${errorRatioRecord(longMinutes)}${selector} > ${factor} and ${errorRatioRecord(shortMinutes)}${selector} > ${factor})`
    })
    .join('\nor\n')
  const subject = slo.perModel
    ? `${slo.name} of model {{ $labels.${SLI_SOURCES[slo.service].modelLabel} }}`
    : slo.name
  const spending = windows
    .map((w) => `${percent(w.budgetSpent)} within ${duration(w.longMinutes)}`)
    .join(' or ')
  return {
    alert: burnAlertName(slo),
    expr,
    labels: { severity, service: slo.service, slo: slo.name },
    annotations: {
      summary: `${subject} is burning its error budget ${severity === 'page' ? 'fast' : 'steadily'}`,
      description: `${slo.description} Objective ${percent(slo.objective)} over ${slo.windowDays} days; at the current error rate the budget would lose ${spending}.`,
    },
  }
}

/** One group per SLO: error ratios, objective and budget, then its page and ticket alerts. */
export function sloRuleGroup(slo: Slo): RuleGroup {
  const labels = { slo: slo.name, service: slo.service }
  const budget = errorBudget(slo)
  const ratios = recordedWindows(slo).map(
    (minutes): RecordingRule => ({
      record: errorRatioRecord(minutes),
      expr: errorRatio(slo, minutes),
      labels,
    }),
  )
  return {
    name: `infera-slo-${slo.name}`,
    rules: [
      ...ratios,
      { record: OBJECTIVE_RECORD, expr: `vector(${slo.objective})`, labels },
      { record: BUDGET_RECORD, expr: `vector(${budget})`, labels },
      {
        record: BUDGET_REMAINING_RECORD,
        expr: `1 - ${errorRatioRecord(slo.windowDays * 24 * 60)}{slo="${slo.name}"} / ${budget}`,
        labels,
      },
      burnAlert(slo, 'page'),
      burnAlert(slo, 'ticket'),
    ],
  }
}

export const sloRuleGroups = (): RuleGroup[] => slos.map(sloRuleGroup)
