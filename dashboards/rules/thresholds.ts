import { METHOD_SPECS, METHODS, type Method } from '../../services/drift/src/detect/methods.ts'

const DEFAULT_TESTS: readonly Method[] = ['ks', 'chisquare', 'ztest']
const DEFAULT_DISTANCES: readonly Method[] = ['wasserstein', 'jensenshannon', 'psi', 'kl_div']

/**
 * The drift service's methods as the dashboards draw them: the tests and distances of Evidently's
 * default choice (and PSI and KL, which share the distances' scale and threshold), each group with
 * one line at its shared default threshold; and the methods a column opts into, each with its own
 * scale and threshold (anderson at p < 0.1, t_test at p < 0.05, ed above 0.1, …), drawn without one.
 */
export const DRIFT_METHODS = {
  tests: DEFAULT_TESTS,
  distances: DEFAULT_DISTANCES,
  optIn: METHODS.filter((method) => ![...DEFAULT_TESTS, ...DEFAULT_DISTANCES].includes(method)),
}

/** The drift service's default threshold for `methods`, which must share one to share a line. */
function driftThreshold(methods: readonly Method[]): number {
  const thresholds = new Set(methods.map((method) => METHOD_SPECS[method].defaultThreshold))
  const [threshold] = thresholds
  if (thresholds.size !== 1 || threshold === undefined) {
    throw new Error(`drift methods ${methods.join(', ')} have no one default threshold`)
  }
  return threshold
}

/** Where the ML and platform alerts, and the dashboards' lines, are drawn. */
export const THRESHOLDS = {
  /** A feature drifts at a p-value below this (the default for KS, chi-square and z). */
  driftPValue: driftThreshold(DRIFT_METHODS.tests),
  /** A feature drifts at a distance of this or more (the default for Wasserstein, JS, PSI, KL). */
  driftDistance: driftThreshold(DRIFT_METHODS.distances),
  /** Dataset drift in this many windows in a row: the drift service's default retraining trigger. */
  driftWindows: 3,
  /** Share of a feature's values missing, or outside the reference's range, in the latest window. */
  missingRate: 0.05,
  outOfRangeRate: 0.05,
  /** Requests waiting in a model's batch queue, on average: ¾ of the default max_queue_size. */
  queueDepth: 768,
  /** GPU busy, percent, averaged over 30 minutes: more work than the GPUs can take. */
  gpuUtilPercent: 95,
  /** Share of a GPU's frame buffer in use: the next model or batch may not fit. */
  gpuMemoryRatio: 0.9,
  /** Minutes a server may go without one successful sync with the model registry. */
  registrySyncMinutes: 10,
  /** Minutes an alert on a lifecycle event (a canary rolled back, a retraining failed or refused) fires. */
  lifecycleEventMinutes: 60,
} as const
