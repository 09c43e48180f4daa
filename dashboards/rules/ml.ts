// Alerts on what the models see and how they are served: drift and data quality from the drift
// service, loading, readiness, queueing and capture from the inference service.
import { eventsWithin } from '../promql/counters.ts'
import { THRESHOLDS } from './thresholds.ts'
import type { RuleGroup } from './types.ts'

export const driftRuleGroup = (): RuleGroup => ({
  name: 'infera-drift',
  rules: [
    {
      alert: 'InferaDatasetDriftPersistent',
      expr: `max by (model) (infera_drift_consecutive_drifted_windows) >= ${THRESHOLDS.driftWindows}`,
      labels: { severity: 'ticket', service: 'drift' },
      annotations: {
        summary: 'Model {{ $labels.model }} has seen dataset drift for several windows in a row',
        description: `At least ${THRESHOLDS.driftWindows} consecutive windows of {{ $labels.model }}'s inputs drifted from its training data: retrain it, or check what changed upstream.`,
      },
    },
    {
      alert: 'InferaFeatureDrift',
      expr: 'max by (model, feature) (infera_drift_feature_drifted) == 1',
      labels: { severity: 'info', service: 'drift' },
      annotations: {
        summary: 'Feature {{ $labels.feature }} of model {{ $labels.model }} drifted',
        description:
          "In the latest window, {{ $labels.feature }}'s distribution differs from the training data's by the drift test of its column type.",
      },
    },
    {
      alert: 'InferaDataMissingValues',
      expr: `max by (model, feature) (infera_drift_missing_rate) > ${THRESHOLDS.missingRate}`,
      labels: { severity: 'ticket', service: 'drift' },
      annotations: {
        summary: 'Feature {{ $labels.feature }} of model {{ $labels.model }} is often missing',
        description: `Over ${THRESHOLDS.missingRate * 100}% of {{ $labels.feature }}'s values were missing in the latest window.`,
      },
    },
    {
      alert: 'InferaDataOutOfRange',
      expr: `max by (model, feature) (infera_drift_out_of_range_rate) > ${THRESHOLDS.outOfRangeRate}`,
      labels: { severity: 'ticket', service: 'drift' },
      annotations: {
        summary: 'Feature {{ $labels.feature }} of model {{ $labels.model }} is out of range',
        description: `Over ${THRESHOLDS.outOfRangeRate * 100}% of {{ $labels.feature }}'s values in the latest window fell outside the range seen in training.`,
      },
    },
  ],
})

export const servingRuleGroup = (): RuleGroup => ({
  name: 'infera-serving',
  rules: [
    {
      alert: 'InferaModelLoadFailed',
      expr: eventsWithin('infera_model_loads_total', 'result="failure"', 'model', '15m'),
      labels: { severity: 'ticket', service: 'inference' },
      annotations: {
        summary: 'A version of model {{ $labels.model }} failed to load',
        description:
          'The inference service could not load a version of {{ $labels.model }} in the last 15 minutes; it keeps serving the previous load, if there is one. Its log says why.',
      },
    },
    {
      alert: 'InferaModelNotReady',
      // Models removed from the repository leave every state at 0: they must not count.
      expr: `max by (model) (infera_model_state{state=~"LOADING|UNAVAILABLE"}) == 1
unless on (model)
max by (model) (infera_model_state{state="READY"}) == 1`,
      for: '5m',
      labels: { severity: 'page', service: 'inference' },
      annotations: {
        summary: 'Model {{ $labels.model }} is not ready',
        description:
          'No version of {{ $labels.model }} has been ready for 5 minutes: it is still loading or failed to load, and its requests get 503.',
      },
    },
    {
      alert: 'InferaBatchQueueSaturated',
      expr: `max by (model, version) (avg_over_time(infera_inference_queue_depth[5m])) > ${THRESHOLDS.queueDepth}`,
      labels: { severity: 'ticket', service: 'inference' },
      annotations: {
        summary:
          'The batch queue of model {{ $labels.model }} version {{ $labels.version }} is nearly full',
        description: `Over ${THRESHOLDS.queueDepth} requests waited in the queue on average for 5 minutes: requests are about to be rejected. Add replicas or raise max_batch_size.`,
      },
    },
    {
      alert: 'InferaRequestsRejected',
      expr: 'sum by (model, reason) (rate(infera_inference_rejected_total[5m])) > 0',
      for: '5m',
      labels: { severity: 'ticket', service: 'inference' },
      annotations: {
        summary: 'Requests to model {{ $labels.model }} are being rejected ({{ $labels.reason }})',
        description:
          'For 5 minutes the inference service has refused requests to {{ $labels.model }} before running them: its queue is full or the model is unavailable.',
      },
    },
    {
      alert: 'InferaCaptureDropped',
      expr: 'sum by (model, reason) (increase(infera_capture_dropped_total[15m])) > 0',
      labels: { severity: 'ticket', service: 'inference' },
      annotations: {
        summary:
          'Captured predictions of model {{ $labels.model }} are dropped ({{ $labels.reason }})',
        description:
          'Prediction rows of {{ $labels.model }} never reached the capture sink in the last 15 minutes, so drift monitoring misses them: the buffer is full or the sink fails.',
      },
    },
  ],
})
