import { lifecycleAnnotations } from '../annotations/index.ts'
import { PROMETHEUS } from '../metrics/external.ts'
import {
  board,
  currentTable,
  datasourceVariable,
  labelVariable,
  singleStat,
  timeSeries,
} from '../panels/index.ts'
import {
  BUDGET_RECORD,
  BUDGET_REMAINING_RECORD,
  errorRatioRecord,
  OBJECTIVE_RECORD,
} from '../rules/slo.ts'
import { burnWindows, duration, type Severity, slos } from '../slo/index.ts'

const selected = 'slo=~"$slo",model=~"$model"'
const legend = '{{slo}} {{model}}'

/** The burn rate over a window: how many times faster than the budget allows errors come. */
const burnRate = (minutes: number) =>
  `${errorRatioRecord(minutes)}{${selected}} / on (slo) group_left ${BUDGET_RECORD}{slo=~"$slo"}`

/** One panel per severity, its windows' burn rates against the rates its alerts fire at. */
function burnRates(severity: Severity) {
  const windows = slos.flatMap(burnWindows).filter((w) => w.severity === severity)
  const minutes = [...new Set(windows.flatMap((w) => [w.longMinutes, w.shortMinutes]))]
  const rates = [...new Set(windows.map((w) => w.burnRate))].sort((a, b) => a - b)
  return timeSeries({
    title: `Burn rate: ${severity} windows`,
    description: `Error ratio over each window divided by the error budget; a ${severity} fires when a long window and its short one are both above ${rates.map((r) => `${r}×`).join(' or ')}.`,
    unit: 'x',
    min: 0,
    queries: minutes
      .sort((a, b) => a - b)
      .map((m) => ({ expr: burnRate(m), legend: `${legend} ${duration(m)}` })),
    thresholds: {
      base: 'green',
      steps: rates.map((rate): [number, string] => [rate, severity === 'page' ? 'red' : 'orange']),
    },
  })
}

export const sloDashboard = () =>
  board({
    uid: 'infera-slo',
    title: 'Infera / SLOs',
    description: 'Service level objectives: error budgets left and how fast they burn.',
    variables: [
      datasourceVariable(),
      labelVariable('slo', 'SLO', OBJECTIVE_RECORD),
      labelVariable('model', 'Model', `${errorRatioRecord(5)}{slo=~"$slo"}`),
    ],
    // A release that burns the budget shows as a promotion or canary decision before the burn.
    annotations: lifecycleAnnotations(['promotions', 'canary'], 'model=~"$model"'),
    rows: [
      {
        title: 'Error budgets',
        panels: [
          singleStat({
            title: 'Error budget left',
            description:
              'Share of the window’s error budget not yet spent; below 0 the objective is missed.',
            unit: 'percentunit',
            width: 12,
            queries: [{ expr: `${BUDGET_REMAINING_RECORD}{${selected}}`, legend }],
            thresholds: {
              base: 'red',
              steps: [
                [0, 'orange'],
                [0.25, 'green'],
              ],
            },
          }),
          singleStat({
            title: 'SLI over the window',
            description: 'Share of good requests over the whole SLO window.',
            unit: 'percentunit',
            width: 12,
            // From the budget left, so that each SLO is read over its own window.
            queries: [
              {
                expr: `1 - (1 - ${BUDGET_REMAINING_RECORD}{${selected}}) * on (slo) group_left ${BUDGET_RECORD}{slo=~"$slo"}`,
                legend,
              },
            ],
            thresholds: { base: 'blue' },
          }),
          timeSeries({
            title: 'Error budget left over time',
            description:
              'How the remaining budget moved; a steady fall is a ticket, a cliff a page.',
            unit: 'percentunit',
            width: 24,
            queries: [{ expr: `${BUDGET_REMAINING_RECORD}{${selected}}`, legend }],
          }),
        ],
      },
      { title: 'Burn rates', panels: [burnRates('page'), burnRates('ticket')] },
      {
        title: 'Alerts',
        panels: [
          currentTable({
            title: 'Firing SLO alerts',
            description: 'Burn-rate alerts firing now.',
            unit: 'none',
            queries: [
              {
                expr: `max by (alertname, severity, slo, model) (${PROMETHEUS.alerts}{alertstate="firing",slo!="",${selected}})`,
              },
            ],
          }),
        ],
      },
    ],
  })
