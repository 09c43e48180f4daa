import { type ReportedMethod, SKETCH_KS } from '../../services/drift/src/detect/index.ts'
import { lifecycleAnnotations } from '../annotations/index.ts'
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
import { DRIFT_METHODS, THRESHOLDS } from '../rules/thresholds.ts'

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

/**
 * The latest window's statistic of the features `methods` test, on a scale of its own: a KS D
 * (0 to 1) beside a chi-square statistic (in the hundreds) would flatten one or the other.
 */
const statistic = (
  spec: Omit<Parameters<typeof timeSeries>[0], 'unit' | 'queries'> & {
    methods: readonly ReportedMethod[]
    /** Applied to the series, e.g. to leave out a capped infinity. */
    filter?: string
  },
) => {
  const { methods, filter = '', ...panel } = spec
  const selector = `${byFeature},method=~"${methods.join('|')}"`
  return timeSeries({
    ...panel,
    unit: 'none',
    queries: [
      {
        expr: `max by (model, feature, method) (infera_drift_feature_score{${selector}})${filter}`,
        legend: `${feature} ({{method}})`,
      },
    ],
  })
}

// Below this a p-value is drawn at it: a log axis has no place for the zeros of strong drift.
const P_VALUE_FLOOR = 1e-10

const features: PanelBuilder[] = [
  statistic({
    title: 'KS statistic (D)',
    description:
      "The largest gap between the reference's and the window's cumulative distributions, 0 to 1, for numerical features tested by KS (on samples, or on sketches for streams).",
    methods: ['ks', SKETCH_KS],
    min: 0,
    max: 1,
  }),
  statistic({
    title: 'Chi-square statistic',
    description:
      'The chi-square statistic of categorical and discrete features. An infinite one (a category the reference never had) is left out here; the feature shows as drifted below.',
    methods: ['chisquare'],
    // The drift service exports an infinite statistic as the largest double.
    filter: ` < ${Number.MAX_VALUE}`,
    min: 0,
  }),
  statistic({
    title: 'z statistic',
    description:
      'The z statistic of the two-proportion test, for features with two values: far from 0 is drift.',
    methods: ['ztest'],
  }),
  statistic({
    title: 'Distances',
    description: `Normed Wasserstein, Jensen–Shannon, PSI and KL divergence, the methods for references over 1000 rows: a feature drifts at ${THRESHOLDS.driftDistance} or more (the drift service's default threshold, the dashed line).`,
    methods: DRIFT_METHODS.distances,
    min: 0,
    thresholds: { base: 'green', steps: [[THRESHOLDS.driftDistance, 'red']] },
  }),
  statistic({
    title: 'Opt-in methods',
    description: `The statistics of the methods a column is configured to use instead of the default choice (${DRIFT_METHODS.optIn.join(', ')}), each on its own scale and with its own threshold (services/drift/src/stats/README.md): the drifted-features timeline below says which drifted.`,
    methods: DRIFT_METHODS.optIn,
  }),
  timeSeries({
    title: 'p-value',
    description: `The p-value per feature of the tests, before any multiple-testing correction, on a log scale: KS, chi-square and z (the default choice) drift below ${THRESHOLDS.driftPValue}, the dashed line; an opt-in test drifts below its own threshold. Values under ${P_VALUE_FLOOR} are drawn at ${P_VALUE_FLOOR}.`,
    unit: 'sci',
    width: 24,
    logScale: true,
    min: P_VALUE_FLOOR,
    max: 1,
    queries: [
      {
        expr: `clamp_min(max by (model, feature) (infera_drift_feature_p_value{${byFeature}}), ${P_VALUE_FLOOR})`,
        legend: feature,
      },
    ],
    thresholds: { base: 'red', steps: [[THRESHOLDS.driftPValue, 'green']] },
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
        legend: 'p99 {{model}}',
        unit: 's',
      },
    ],
  }),
  timeSeries({
    title: 'Model performance',
    description:
      "Quality over the labelled rows of the latest window: a classifier's accuracy and macro F1 (left), a regression's MAE and RMSE in its target's units (right).",
    unit: 'percentunit',
    queries: [
      {
        expr: `max by (model, metric) (infera_drift_model_performance{${byModel},metric=~"accuracy|macro_f1"})`,
        legend: '{{model}}: {{metric}}',
      },
      {
        expr: `max by (model, metric) (infera_drift_model_performance{${byModel},metric=~"mae|rmse"})`,
        legend: '{{model}}: {{metric}}',
        unit: 'none',
      },
    ],
  }),
  timeSeries({
    title: 'Labels and retraining',
    description:
      'Ground-truth labels per second by whether a prediction matched (left), and retraining jobs by status per interval (right).',
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
        unit: 'none',
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
    // A promotion brings a new version, watched against its own reference.
    annotations: lifecycleAnnotations(['promotions', 'retraining'], byModel),
    rows: [
      { title: 'Overview', panels: overview },
      { title: 'Features', panels: features },
      { title: 'Data quality', panels: quality },
      { title: 'Ingest, evaluation and retraining', panels: pipeline },
    ],
  })
