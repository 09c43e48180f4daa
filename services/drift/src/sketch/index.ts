/**
 * Bounded-memory summaries of a stream: a KLL quantile sketch with DataSketches' KS test on two
 * sketches, reservoir sampling with unions, and capped category counts.
 */
export { BoundedCounts, DEFAULT_CATEGORY_CAP, OVERFLOW_CATEGORY } from './counts.ts'
export {
  DEFAULT_K,
  Kll,
  type KllJson,
  normalizedRankError,
  type SortedView,
} from './kll.ts'
export { type SketchKsResult, sketchKsTest } from './ks.ts'
export { Random } from './random.ts'
export { Reservoir, ReservoirSlots, unionSlots } from './reservoir.ts'
