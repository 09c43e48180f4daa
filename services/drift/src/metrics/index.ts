import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { METHODS, SKETCH_KS } from '../detect/index.ts'
import type { DriftEvaluation } from '../evaluation/index.ts'

/** Every metric the drift service exports, on its own registry. */
export function createDriftMetrics({ processMetrics = true } = {}) {
  const registry = new Registry()
  if (processMetrics) collectDefaultMetrics({ register: registry })
  const registers = [registry]
  const gauge = (name: string, help: string, labelNames: readonly string[]) =>
    new Gauge({ name, help, labelNames, registers })
  return {
    registry,
    rowsIngested: new Counter({
      name: 'infera_drift_rows_ingested_total',
      help: 'Rows accepted into the drift windows.',
      labelNames: ['model'] as const,
      registers,
    }),
    recordsRejected: new Counter({
      name: 'infera_drift_records_rejected_total',
      help: 'Records refused at ingest, by reason.',
      labelNames: ['model', 'reason'] as const,
      registers,
    }),
    windowFill: gauge(
      'infera_drift_window_fill_ratio',
      'Share of the current window filled (0 to 1).',
      ['model'],
    ),
    evaluations: new Counter({
      name: 'infera_drift_evaluations_total',
      help: 'Windows evaluated, by trigger (window, schedule, demand).',
      labelNames: ['model', 'trigger'] as const,
      registers,
    }),
    evaluationDuration: new Histogram({
      name: 'infera_drift_evaluation_duration_seconds',
      help: 'Time to evaluate one window.',
      labelNames: ['model'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    datasetDrift: gauge(
      'infera_drift_dataset_drift',
      '1 when the latest window shows dataset drift.',
      ['model'],
    ),
    shareDrifted: gauge(
      'infera_drift_share_drifted',
      'Share of features drifted in the latest window.',
      ['model'],
    ),
    consecutiveDrifted: gauge(
      'infera_drift_consecutive_drifted_windows',
      'Windows in a row, up to the latest, with dataset drift.',
      ['model'],
    ),
    featureScore: gauge(
      'infera_drift_feature_score',
      "The latest window's drift statistic or distance per feature.",
      ['model', 'feature', 'method'],
    ),
    featurePValue: gauge(
      'infera_drift_feature_p_value',
      "The latest window's p-value per feature (p-value tests only).",
      ['model', 'feature'],
    ),
    featureDrifted: gauge(
      'infera_drift_feature_drifted',
      '1 when the feature drifted in the latest window.',
      ['model', 'feature'],
    ),
    missingRate: gauge(
      'infera_drift_missing_rate',
      'Share of missing values per feature, latest window.',
      ['model', 'feature'],
    ),
    outOfRangeRate: gauge(
      'infera_drift_out_of_range_rate',
      "Share of numerical values outside the reference's range, latest window.",
      ['model', 'feature'],
    ),
    unseenCategoryRate: gauge(
      'infera_drift_unseen_category_rate',
      'Share of categorical values the reference never saw, latest window.',
      ['model', 'feature'],
    ),
    wrongTypeRate: gauge(
      'infera_drift_wrong_type_rate',
      'Share of values of the wrong type, latest window.',
      ['model', 'feature'],
    ),
    labels: new Counter({
      name: 'infera_drift_labels_total',
      help: 'Ground-truth labels received, by whether a captured prediction matched them.',
      labelNames: ['model', 'result'] as const,
      registers,
    }),
    performance: gauge(
      'infera_drift_model_performance',
      'Model quality over labelled rows of the latest window (accuracy, macro_f1, mae, rmse).',
      ['model', 'metric'],
    ),
    retrainJobs: new Counter({
      name: 'infera_drift_retrain_jobs_total',
      help: 'Retraining jobs started by the drift trigger, by trainer and status.',
      labelNames: ['model', 'trainer', 'status'] as const,
      registers,
    }),
    retrainCandidates: new Counter({
      name: 'infera_drift_retrain_candidates_total',
      help: 'Retrained versions registered as candidates, by whether the evaluation gate passed them into the canary, refused them, or was not asked.',
      labelNames: ['model', 'gate'] as const,
      registers,
    }),
  }
}

export type DriftMetrics = ReturnType<typeof createDriftMetrics>

/** Publishes an evaluation's figures as the latest per model and feature. */
export function recordEvaluation(metrics: DriftMetrics, evaluation: DriftEvaluation) {
  const { model, drift, quality, performance } = evaluation
  metrics.datasetDrift.set({ model }, drift.dataset_drift ? 1 : 0)
  metrics.shareDrifted.set({ model }, drift.share_drifted)
  for (const [feature, result] of Object.entries(drift.features)) {
    // A feature's method can change between windows: drop the old series so one stays current.
    for (const method of [...METHODS, SKETCH_KS]) {
      if (method !== result.method) metrics.featureScore.remove({ model, feature, method })
    }
    metrics.featureScore.set({ model, feature, method: result.method }, finite(result.statistic))
    if (result.p_value === null) metrics.featurePValue.remove({ model, feature })
    else metrics.featurePValue.set({ model, feature }, result.p_value)
    metrics.featureDrifted.set({ model, feature }, result.drifted ? 1 : 0)
  }
  // Vector columns on the same series, their method named `embedding_<method>`.
  for (const [feature, result] of Object.entries(drift.embeddings ?? {})) {
    metrics.featureScore.set(
      { model, feature, method: `embedding_${result.method}` },
      result.statistic,
    )
    if (result.p_value === null) metrics.featurePValue.remove({ model, feature })
    else metrics.featurePValue.set({ model, feature }, result.p_value)
    metrics.featureDrifted.set({ model, feature }, result.drifted ? 1 : 0)
  }
  for (const [feature, q] of Object.entries(quality.features)) {
    metrics.missingRate.set({ model, feature }, q.missing_rate)
    metrics.outOfRangeRate.set({ model, feature }, q.out_of_range_rate)
    metrics.unseenCategoryRate.set({ model, feature }, q.unseen_category_rate)
    metrics.wrongTypeRate.set({ model, feature }, q.wrong_type_rate)
  }
  for (const metric of ['accuracy', 'macro_f1', 'mae', 'rmse'] as const) {
    const value = performance?.[metric]
    if (value !== undefined) metrics.performance.set({ model, metric }, value)
  }
}

// Prometheus can carry +Inf, but a chi-square of infinity reads better capped for dashboards.
const finite = (value: number) => (Number.isFinite(value) ? value : Number.MAX_VALUE)
