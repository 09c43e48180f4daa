/** Cumulative counters of one traffic variant, as the gateway counts them. */
export interface VariantCounts {
  requests: number
  /** Answered with a 5xx. */
  errors: number
  /** Answered slower than the latency threshold. */
  slow: number
}

/** Where the controller reads a model's production and canary traffic; undefined: none seen. */
export interface CanaryMetricsSource {
  read(model: string): Promise<{ production?: VariantCounts; canary?: VariantCounts }>
}

export interface CanaryPolicy {
  /** How long the canary must stay within the SLO before full promotion. */
  analysisSeconds: number
  /** Canary requests needed before any verdict. */
  minRequests: number
  /** The share of 5xx answers above which the canary is rolled back. */
  maxErrorRatio: number
  /** What counts as slow; the metrics source must count `slow` with the same threshold. */
  latencyThresholdSeconds: number
  /** The share of slow answers above which the canary is rolled back. */
  maxSlowRatio: number
  /** How often tick() runs when started. */
  intervalSeconds: number
}

export type CanaryVerdict = 'promote' | 'rollback' | 'wait'

/** One model's verdict in one tick, with the figures it rests on (counted since analysis began). */
export interface CanaryDecision {
  model: string
  version: number
  verdict: CanaryVerdict
  reason: string
  requests: number
  errorRatio: number
  slowRatio: number
  elapsedSeconds: number
}
