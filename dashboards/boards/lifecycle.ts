import { lifecycleAnnotations } from '../annotations/index.ts'
import {
  board,
  currentTable,
  datasourceVariable,
  labelVariable,
  type PanelBuilder,
  timeSeries,
} from '../panels/index.ts'
import { rate } from '../panels/queries.ts'
import { eventsWithin } from '../promql/counters.ts'
import { THRESHOLDS } from '../rules/thresholds.ts'
import { errorBudget, type Sli, type Slo, slos } from '../slo/index.ts'

const byModel = 'model=~"$model"'
// The gateway names a model's route after the model.
const byRoute = 'route=~"$model"'

/** Rare events (decisions, transitions, jobs) per interval, the first of each series included. */
const events = (metric: string, by: string) => eventsWithin(metric, byModel, by, '$__rate_interval')

/**
 * The gateway's SLO of that kind. The canary controller holds a canary to the gateway's SLOs, as
 * many failed and slow requests as their error budgets allow (services/registry's canary
 * analysis): its panels draw the lines it rolls back at from the same definitions.
 */
function gatewaySlo(kind: Sli['kind']): Slo {
  const slo: Slo | undefined = slos.find((s) => s.service === 'gateway' && s.sli.kind === kind)
  if (!slo) throw new Error(`dashboards/slo defines no gateway ${kind} SLO`)
  return slo
}
const maxErrorRatio = errorBudget(gatewaySlo('availability'))
const latency = gatewaySlo('latency')
if (latency.sli.kind !== 'latency') throw new Error('the gateway latency SLO has no threshold')
const latencyMs = latency.sli.thresholdSeconds * 1000
const maxSlowRatio = errorBudget(latency)
const percent = (ratio: number) => `${Number((ratio * 100).toPrecision(2))}%`

/** A figure of the canary under analysis; the controller's gauges exist only while one is. */
const canaryFigure = (
  title: string,
  metric: string,
  unit: string,
  description: string,
  rollbackAbove?: number,
) =>
  timeSeries({
    title,
    description: `${description} Shown while a canary is under analysis.`,
    unit,
    min: 0,
    queries: [{ expr: `max by (model) (${metric}{${byModel}})`, legend: '{{model}}' }],
    ...(rollbackAbove !== undefined && {
      thresholds: { base: 'green', steps: [[rollbackAbove, 'red']] },
    }),
  })

// Inference and the gateway each follow the registry, and count their syncs by follower and result.
const REGISTRY_SYNCS = 'infera_registry_syncs_total'

const serving: PanelBuilder[] = [
  currentTable({
    title: 'Serving now',
    description:
      "The gateway's routes now: each variant of a model's route, the registry version it is pinned to, and its percent of the route's traffic.",
    unit: 'percent',
    height: 7,
    queries: [
      { expr: `max by (route, variant, version) (infera_gateway_route_weight{${byRoute}})` },
    ],
  }),
  timeSeries({
    title: 'Served versions',
    description:
      'The version inference serves for each alias as it follows the registry: a step is a promotion or a rollback, a canary line starts and ends with its canary.',
    unit: 'none',
    queries: [
      {
        expr: `max by (model, alias) (infera_registry_served_version{${byModel}})`,
        legend: '{{model}} {{alias}}',
      },
    ],
  }),
  timeSeries({
    title: 'Route weights',
    description:
      "Percent of each route's traffic each variant takes, as the gateway has it from the registry: the canary its weight, production the rest. The gateway dashboard shows the split it achieved.",
    unit: 'percent',
    min: 0,
    max: 100,
    queries: [
      {
        expr: `max by (route, variant, version) (infera_gateway_route_weight{${byRoute}})`,
        legend: '{{route}} / {{variant}} v{{version}}',
      },
    ],
  }),
]

const canary: PanelBuilder[] = [
  canaryFigure(
    'Canary requests',
    'infera_canary_requests',
    'short',
    'Requests the canary served since its analysis began; below the policy’s minimum there is no verdict.',
  ),
  canaryFigure(
    'Canary analysis time',
    'infera_canary_elapsed_seconds',
    's',
    'Time since the analysis began; a canary within the SLOs for the whole analysis is promoted.',
  ),
  canaryFigure(
    'Canary error ratio',
    'infera_canary_error_ratio',
    'percentunit',
    `Share of the canary's requests answered with a 5xx since its analysis began; above ${percent(maxErrorRatio)}, the gateway availability SLO's error budget, it is rolled back.`,
    maxErrorRatio,
  ),
  canaryFigure(
    'Canary slow ratio',
    'infera_canary_slow_ratio',
    'percentunit',
    `Share of the canary's requests slower than ${latencyMs} ms since its analysis began; above ${percent(maxSlowRatio)}, the gateway latency SLO's error budget, it is rolled back.`,
    maxSlowRatio,
  ),
]

const registry: PanelBuilder[] = [
  timeSeries({
    title: 'Canary decisions',
    description: `Canaries the controller promoted to production or rolled back; a rollback opens a ticket for ${THRESHOLDS.lifecycleEventMinutes} minutes.`,
    unit: 'short',
    queries: [
      {
        expr: events('infera_canary_decisions_total', 'model, verdict'),
        legend: '{{model}}: {{verdict}}',
      },
    ],
  }),
  timeSeries({
    title: 'Registry transitions',
    description:
      'Audited changes by action: register, promote, rollback, archive, set_alias, remove_alias, by people, the canary controller and retraining alike.',
    unit: 'short',
    queries: [
      {
        expr: events('infera_registry_transitions_total', 'model, action'),
        legend: '{{model}}: {{action}}',
      },
    ],
  }),
]

const retraining: PanelBuilder[] = [
  timeSeries({
    title: 'Retraining jobs',
    description:
      'Retraining jobs the drift service started, counted at each status they reach: started, completed, failed (a ticket).',
    unit: 'short',
    queries: [
      {
        expr: events('infera_drift_retrain_jobs_total', 'model, trainer, status'),
        legend: '{{model}} ({{trainer}}): {{status}}',
      },
    ],
  }),
  timeSeries({
    title: 'Retrained candidates',
    description:
      "Retrained versions registered, by the evaluation gate's outcome: passed into a canary, refused as worse than production on held-out captures, or skipped when not asked.",
    unit: 'short',
    queries: [
      {
        expr: events('infera_drift_retrain_candidates_total', 'model, gate'),
        legend: '{{model}}: {{gate}}',
      },
    ],
  }),
]

const following: PanelBuilder[] = [
  timeSeries({
    title: 'Registry sync errors',
    description: `Share of each server's syncs with the registry that failed; at 100% for ${THRESHOLDS.registrySyncMinutes} minutes it opens a ticket. A server whose sync fails serves what it had.`,
    unit: 'percentunit',
    min: 0,
    max: 1,
    queries: [
      {
        expr: `${rate(REGISTRY_SYNCS, 'result="error"', 'follower, job, instance')} / ${rate(REGISTRY_SYNCS, '', 'follower, job, instance')}`,
        legend: '{{follower}} {{instance}}',
      },
    ],
    thresholds: { base: 'green', steps: [[1, 'red']] },
  }),
  timeSeries({
    title: 'Registry syncs',
    description:
      'Syncs with the registry per second by result: a follower whose line falls to zero has stopped syncing.',
    unit: 'ops',
    queries: [
      { expr: rate(REGISTRY_SYNCS, '', 'follower, result'), legend: '{{follower}} {{result}}' },
    ],
  }),
]

export const lifecycleDashboard = () =>
  board({
    uid: 'infera-lifecycle',
    title: 'Infera / Model lifecycle',
    description:
      'Which versions serve, canaries and their verdicts, registry changes, retraining, and the servers following the registry.',
    variables: [
      datasourceVariable(),
      labelVariable('model', 'Model', 'infera_registry_served_version'),
    ],
    annotations: lifecycleAnnotations(['promotions', 'canary', 'retraining'], byModel),
    rows: [
      { title: 'Serving', panels: serving },
      { title: 'Canary analysis', panels: canary },
      { title: 'Registry', panels: registry },
      { title: 'Retraining', panels: retraining },
      { title: 'Following the registry', panels: following },
    ],
  })
