// The model lifecycle's events, drawn across a board's graphs: a latency step or a drift that
// follows a promotion reads as its consequence. Each comes from the counter that counts it.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import type { AuditAction } from '../../services/registry/src/store/index.ts'
import { DATASOURCE } from '../panels/index.ts'
import { eventsWithin } from '../promql/counters.ts'

// The audit actions that change which version serves production.
const PRODUCTION_CHANGES: AuditAction[] = ['promote', 'rollback']

const EVENTS = {
  promotions: {
    name: 'Promotions and rollbacks',
    metric: 'infera_registry_transitions_total',
    filter: `action=~"${PRODUCTION_CHANGES.join('|')}"`,
    by: ['model', 'action'],
    title: '{{model}}: {{action}}',
    text: 'The registry moved production: a promotion through the gate, or a rollback.',
    color: 'blue',
  },
  canary: {
    name: 'Canary decisions',
    metric: 'infera_canary_decisions_total',
    filter: '',
    by: ['model', 'verdict'],
    title: '{{model}} canary: {{verdict}}',
    text: 'The canary controller promoted the canary to production or rolled it back.',
    color: 'orange',
  },
  retraining: {
    name: 'Retraining',
    metric: 'infera_drift_retrain_jobs_total',
    filter: '',
    by: ['model', 'trainer', 'status'],
    title: '{{model}} retraining ({{trainer}}): {{status}}',
    text: 'A retraining job the drift service started on persistent drift, at each status it reached.',
    color: 'purple',
  },
} as const

export type LifecycleEvent = keyof typeof EVENTS

/**
 * Annotations for `events` of the models `modelMatcher` selects (a label matcher on the board's
 * model variable). Over `$__rate_interval`, which Grafana keeps longer than the annotation's
 * step, so that an increase between two scrapes always falls inside some evaluation; the points
 * of one event at consecutive steps Grafana draws as one.
 */
export const lifecycleAnnotations = (events: LifecycleEvent[], modelMatcher: string) =>
  events.map((event) => {
    const { name, metric, filter, by, title, text, color } = EVENTS[event]
    const selector = [modelMatcher, filter].filter(Boolean).join(',')
    return new dashboard.AnnotationQueryBuilder()
      .name(name)
      .datasource(DATASOURCE)
      .enable(true)
      .iconColor(color)
      .expr(eventsWithin(metric, selector, by.join(', '), '$__rate_interval'))
      .titleFormat(title)
      .textFormat(text)
      .tagKeys(by.join(','))
      .useValueForTime(false)
  })
