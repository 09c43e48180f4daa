import type { Feeds } from './session.ts'

export interface RunOutcome {
  outputs: Feeds
  /** When `session.run` started and ended, in this thread's `performance.now()` milliseconds. */
  inferStartedAt: number
  inferEndedAt: number
}

/** One session of a model version: runs one batch at a time. */
export interface Instance {
  /** Its place in the version's instance group, from 0. */
  readonly index: number
  /**
   * Runs `feeds`. `owned(name)` says whether the instance may take an input's buffer (it was built
   * for this run): a worker then moves it to its thread rather than copying it.
   */
  run(
    feeds: Feeds,
    outputs: readonly string[],
    owned: (name: string) => boolean,
  ): Promise<RunOutcome>
  close(): Promise<void>
}
