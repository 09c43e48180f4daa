import {
  board,
  datasourceVariable,
  labelVariable,
  type PanelBuilder,
  singleStat,
  stateTimeline,
  timeSeries,
} from '../panels/index.ts'
import { quantile, rate } from '../panels/queries.ts'
import { eventsWithin } from '../promql/counters.ts'
import { THRESHOLDS } from '../rules/thresholds.ts'

const byModel = 'model=~"$model"'
const byFeature = 'model=~"$model",feature=~"$feature"'
const feature = '{{model}} · {{feature}}'

/** A per-feature data quality rate of the latest window, with the alert's line if it has one. */
const qualityRate = (title: string, metric: string, description: string, alertAt?: number) =>
  timeSeries({
    title,
    description,
    unit: 'percentunit',
    min: 0,
    queries: [{ expr: `max by (model, feature) (${metric}{${byFeature}})`, legend: feature }],
    ...(alertAt !== undefined && { thresholds: { base: 'green', steps: [[alertAt, 'red']] } }),
  })

const flag = { 0: { text: 'no drift', color: 'green' }, 1: { text: 'drift', color: 'red' } }

const overview: PanelBuilder[] = [
  singleStat({
    title: 'Dataset drift',
    description: 'Whether the latest window of each model drifted as a whole.',
    unit: 'none',
    queries: [
      { expr: `max by (model) (infera_drift_dataset_drift{${byModel}})`, legend: '{{model}}' },
    ],
    states: flag,
  }),
  singleStat({
    title: 'Features drifted',
    description: 'Share of features that drifted in the latest window.',
    unit: 'percentunit',
    queries: [
      { expr: `max by (model) (infera_drift_share_drifted{${byModel}})`, legend: '{{model}}' },
    ],
    thresholds: { base: 'green', steps: [[0.5, 'red']] },
  }),
  singleStat({
    title: 'Drifted windows in a row',
    description: `Consecutive windows with dataset drift; an alert (and retraining) at ${THRESHOLDS.driftWindows}.`,
    unit: 'none',
    queries: [
      {
        expr: `max by (model) (infera_drift_consecutive_drifted_windows{${byModel}})`,
        legend: '{{model}}',
      },
    ],
    thresholds: {
      base: 'green',
      steps: [
        [1, 'orange'],
        [THRESHOLDS.driftWindows, 'red'],
      ],
    },
  }),
  singleStat({
    title: 'Window filled',
    description: 'How much of the current window has arrived; it is evaluated when full.',
    unit: 'percentunit',
    queries: [
      { expr: `max by (model) (infera_drift_window_fill_ratio{${byModel}})`, legend: '{{model}}' },
    ],
    thresholds: { base: 'blue' },
  }),
]

const features: PanelBuilder[] = [
  timeSeries({
    title: 'Drift score',
    description:
      "The latest window's statistic or distance per feature, by the method its type uses.",
    unit: 'none',
    queries: [
      {
        expr: `max by (model, feature, method) (infera_drift_feature_score{${byFeature}})`,
        legend: `${feature} ({{method}})`,
      },
    ],
  }),
  timeSeries({
    title: 'p-value',
    description: 'The p-value per feature, for the methods that are tests; low means drift.',
    unit: 'none',
    min: 0,
    max: 1,
    queries: [
      {
        expr: `max by (model, feature) (infera_drift_feature_p_value{${byFeature}})`,
        legend: feature,
      },
    ],
  }),
  stateTimeline({
    title: 'Drifted features',
    description: 'Which features drifted, window after window.',
    unit: 'none',
    width: 24,
    queries: [
      {
        expr: `max by (model, feature) (infera_drift_feature_drifted{${byFeature}})`,
        legend: feature,
      },
    ],
    states: flag,
  }),
]

const quality: PanelBuilder[] = [
  qualityRate(
    'Missing values',
    'infera_drift_missing_rate',
    'Share of missing values per feature, latest window.',
    THRESHOLDS.missingRate,
  ),
  qualityRate(
    'Out of range',
    'infera_drift_out_of_range_rate',
    "Share of numerical values outside the training data's range, latest window.",
    THRESHOLDS.outOfRangeRate,
  ),
  qualityRate(
    'Unseen categories',
    'infera_drift_unseen_category_rate',
    'Share of categorical values never seen in training, latest window.',
  ),
  qualityRate(
    'Wrong type',
    'infera_drift_wrong_type_rate',
    'Share of values of the wrong type, latest window.',
  ),
]

const pipeline: PanelBuilder[] = [
  timeSeries({
    title: 'Rows in',
    description: 'Rows accepted into the windows, and records refused at ingest by reason.',
    unit: 'rowsps',
    queries: [
      { expr: rate('infera_drift_rows_ingested_total', byModel, 'model'), legend: '{{model}}' },
      {
        expr: rate('infera_drift_records_rejected_total', byModel, 'model, reason'),
        legend: '{{model}} rejected: {{reason}}',
      },
    ],
  }),
  timeSeries({
    title: 'Evaluations',
    description: 'Windows evaluated per second, by trigger, and the p99 time one takes.',
    unit: 'short',
    queries: [
      {
        expr: rate('infera_drift_evaluations_total', byModel, 'model, trigger'),
        legend: '{{model}}: {{trigger}}',
      },
      {
        expr: quantile(0.99, 'infera_drift_evaluation_duration_seconds', byModel, 'model'),
        legend: 'p99 seconds {{model}}',
      },
    ],
  }),
  timeSeries({
    title: 'Model performance',
    description: 'Quality over the labelled rows of the latest window.',
    unit: 'none',
    queries: [
      {
        expr: `max by (model, metric) (infera_drift_model_performance{${byModel}})`,
        legend: '{{model}}: {{metric}}',
      },
    ],
  }),
  timeSeries({
    title: 'Labels and retraining',
    description:
      'Ground-truth labels by whether a prediction matched, and retraining jobs started.',
    unit: 'short',
    queries: [
      {
        expr: rate('infera_drift_labels_total', byModel, 'model, result'),
        legend: '{{model}} labels: {{result}}',
      },
      {
        expr: eventsWithin(
          'infera_drift_retrain_jobs_total',
          byModel,
          'model, trainer, status',
          '$__rate_interval',
        ),
        legend: '{{model}} retrain ({{trainer}}): {{status}}',
      },
    ],
  }),
]

export const driftDashboard = () =>
  board({
    uid: 'infera-drift',
    title: 'Infera / Drift',
    description: 'Drift and data quality per model and feature, against the training data.',
    variables: [
      datasourceVariable(),
      labelVariable('model', 'Model', 'infera_drift_rows_ingested_total'),
      labelVariable('feature', 'Feature', 'infera_drift_feature_score{model=~"$model"}'),
    ],
    rows: [
      { title: 'Overview', panels: overview },
      { title: 'Features', panels: features },
      { title: 'Data quality', panels: quality },
      { title: 'Ingest, evaluation and retraining', panels: pipeline },
    ],
  })
