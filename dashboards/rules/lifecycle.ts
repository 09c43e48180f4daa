// Alerts on the model lifecycle: the canary controller's verdicts (registry service), inference and
// the gateway following the registry, and retraining into it (drift service).
import { eventsWithin } from '../promql/counters.ts'
import { duration } from '../slo/index.ts'
import { THRESHOLDS } from './thresholds.ts'
import type { AlertingRule, RuleGroup } from './types.ts'

const eventWindow = duration(THRESHOLDS.lifecycleEventMinutes)
const lately = `in the last ${THRESHOLDS.lifecycleEventMinutes} minutes`
// Long enough for several syncs at any scrape interval up to a minute.
const SYNC_WINDOW = '5m'

// Every follower's syncs, labelled `follower="inference|gateway"` and `result="ok|error"`.
const REGISTRY_SYNCS = 'infera_registry_syncs_total'

interface FollowerSpec {
  alert: string
  /** The follower, as its syncs are labelled. */
  service: 'inference' | 'gateway'
  summary: string
  /** Why a sync fails and what stays as it was meanwhile. */
  description: string
}

/**
 * A server following the registry that has not had one successful sync for a while. A ticket, not
 * a page: a server whose sync fails goes on serving what it had, so no request fails because of
 * it, and if the versions it is stuck on fail requests the SLO burn-rate alerts page. What stops
 * is change: promotions, new canaries and the canary controller's rollbacks wait.
 */
function registryFollowerAlert(spec: FollowerSpec): AlertingRule {
  const syncs = (result: string) =>
    `sum by (job, instance) (increase(${REGISTRY_SYNCS}{follower="${spec.service}",result="${result}"}[${SYNC_WINDOW}])) > 0`
  return {
    alert: spec.alert,
    // Failed syncs and no successful one over the window, all along `for`. A server whose syncs
    // have failed since it started has no `ok` series at all, which `unless` takes as no success.
    expr: `${syncs('error')}\nunless on (job, instance)\n${syncs('ok')}`,
    for: duration(THRESHOLDS.registrySyncMinutes),
    labels: { severity: 'ticket', service: spec.service },
    annotations: { summary: spec.summary, description: spec.description },
  }
}

const failingFor = `has succeeded for ${THRESHOLDS.registrySyncMinutes} minutes`

export const lifecycleRuleGroup = (): RuleGroup => ({
  name: 'infera-lifecycle',
  rules: [
    {
      alert: 'InferaCanaryRolledBack',
      expr: eventsWithin(
        'infera_canary_decisions_total',
        'verdict="rollback"',
        'model',
        eventWindow,
      ),
      // The rollback has already protected the users; why the version was bad waits for the day.
      labels: { severity: 'ticket', service: 'registry' },
      annotations: {
        summary: 'A canary of model {{ $labels.model }} was rolled back',
        description: `The canary controller took the canary alias off a version of {{ $labels.model }} ${lately}: the canary's traffic broke the gateway's error or latency SLO during its analysis, and production took all the traffic back. The registry's audit trail says which version and by how much (infera models show {{ $labels.model }}).`,
      },
    },
    registryFollowerAlert({
      alert: 'InferaRegistrySyncFailing',
      service: 'inference',
      summary: 'Inference server {{ $labels.instance }} cannot follow the model registry',
      description: `No sync of {{ $labels.instance }} ({{ $labels.job }}) with the model registry ${failingFor}: the registry is unreachable, or a model's version cannot be written into the model repository (its log says which). It goes on serving the versions it had; promotions, canaries and rollbacks do not reach it.`,
    }),
    registryFollowerAlert({
      alert: 'InferaGatewayRegistrySyncFailing',
      service: 'gateway',
      summary: 'Gateway {{ $labels.instance }} cannot follow the model registry',
      description: `No read of the model registry by gateway {{ $labels.instance }} ({{ $labels.job }}) ${failingFor}: the registry is unreachable or its answer cannot be routed (the gateway's log says why). Its routes stay as they were; promotions, canary weights and the canary controller's rollbacks do not reach clients.`,
    }),
    {
      alert: 'InferaRetrainJobFailed',
      expr: eventsWithin(
        'infera_drift_retrain_jobs_total',
        'status="failed"',
        'model, trainer',
        eventWindow,
      ),
      labels: { severity: 'ticket', service: 'drift' },
      annotations: {
        summary: 'Retraining model {{ $labels.model }} failed ({{ $labels.trainer }})',
        description: `A retraining job the drift service started for {{ $labels.model }} on {{ $labels.trainer }} failed ${lately}, so the version that drifted goes on serving. The drift service's GET /v1/drift/{{ $labels.model }}/retrain-jobs says why.`,
      },
    },
    {
      alert: 'InferaRetrainCandidateRefused',
      expr: eventsWithin(
        'infera_drift_retrain_candidates_total',
        'gate="refused"',
        'model',
        eventWindow,
      ),
      // The gate did its job and production is unchanged: worth reading, not acting on at once.
      // A model that keeps drifting without a better version raises InferaDatasetDriftPersistent.
      labels: { severity: 'info', service: 'drift' },
      annotations: {
        summary: 'The evaluation gate refused a retrained version of model {{ $labels.model }}',
        description: `A version of {{ $labels.model }} retrained ${lately} scored worse than production on the held-out captures: it is registered as a candidate, not put into a canary. Its retraining job's gate_summary says by how much.`,
      },
    },
  ],
})
