/** Where the ML and platform alerts draw their lines. */
export const THRESHOLDS = {
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
