import type { DriftEvaluation } from '../evaluation/index.ts'
import type { TrainingRequest } from './trainer.ts'

/** The policy's verdict: retrain this model version, because of these windows. */
export type RetrainDecision = TrainingRequest

export interface RetrainPolicyOptions {
  /** Drifted windows in a row that make drift persistent. Default 3. */
  consecutiveWindows?: number
  /** The least time between two decisions for the same model. Default 6 hours. */
  cooldownMs?: number
  now?: () => number
}

interface VersionState {
  /** The ids of the latest drifted windows in a row, at most `consecutiveWindows` of them. */
  streak: string[]
  /** The windows already counted, oldest first, so that a re-evaluation is not counted again. */
  seen: Set<string>
}

interface ModelState {
  versions: Map<string, VersionState>
  lastDecision?: number
}

// Window ids remembered per model version: a re-evaluation comes soon after the first evaluation.
const SEEN_WINDOWS = 10_000

/**
 * Decides when drift is persistent enough to retrain: when the last `consecutiveWindows` windows of
 * a model version all drifted, at most once per `cooldownMs` per model. Each window counts once,
 * by id; a window without drift ends the streak, and so does a decision.
 */
export class RetrainPolicy {
  readonly consecutiveWindows: number
  readonly cooldownMs: number
  readonly #now: () => number
  readonly #models = new Map<string, ModelState>()

  constructor({
    consecutiveWindows = 3,
    cooldownMs = 6 * 60 * 60 * 1000,
    now = Date.now,
  }: RetrainPolicyOptions = {}) {
    if (!Number.isInteger(consecutiveWindows) || consecutiveWindows < 1) {
      throw new RangeError(
        `consecutiveWindows must be a positive integer, not ${consecutiveWindows}`,
      )
    }
    if (!(cooldownMs >= 0)) throw new RangeError(`cooldownMs must be 0 or more, not ${cooldownMs}`)
    this.consecutiveWindows = consecutiveWindows
    this.cooldownMs = cooldownMs
    this.#now = now
  }

  observe(evaluation: DriftEvaluation): RetrainDecision | undefined {
    return this.#observe(evaluation, this.#now())
  }

  /**
   * Rebuilds the state from stored evaluations, replayed in the order they were made and timed by
   * `evaluated_at`, so that streaks and cooldowns carry over a restart. Past decisions are not
   * returned: they were acted on when they were made.
   */
  restore(evaluations: Iterable<DriftEvaluation>) {
    const timed = [...evaluations].map((e) => ({ evaluation: e, at: Date.parse(e.evaluated_at) }))
    // Only the models restored start over: the service restores each as it first meets it.
    for (const { evaluation } of timed) this.#models.delete(evaluation.model)
    timed.sort((a, b) => a.at - b.at)
    for (const { evaluation, at } of timed) this.#observe(evaluation, at)
  }

  #observe(evaluation: DriftEvaluation, now: number): RetrainDecision | undefined {
    const { model, version, window, drift } = evaluation
    const state = this.#state(model, version)
    if (state.version.seen.has(window.id)) return undefined
    state.version.seen.add(window.id)
    if (state.version.seen.size > SEEN_WINDOWS) {
      state.version.seen.delete(state.version.seen.values().next().value as string)
    }
    if (!drift.dataset_drift) {
      state.version.streak = []
      return undefined
    }
    const streak = [...state.version.streak, window.id].slice(-this.consecutiveWindows)
    state.version.streak = streak
    if (streak.length < this.consecutiveWindows) return undefined
    const { lastDecision } = state.model
    if (lastDecision !== undefined && now - lastDecision < this.cooldownMs) return undefined
    state.model.lastDecision = now
    state.version.streak = []
    const drifted = Object.keys(drift.features).filter((name) => drift.features[name]?.drifted)
    return {
      model,
      version,
      windows: streak,
      reason:
        `dataset drift in ${streak.length} consecutive windows of ${model} version ${version}; ` +
        `the last had ${drift.drifted_columns} of ${drift.number_of_columns} columns drifted` +
        (drifted.length > 0 ? ` (${drifted.join(', ')})` : ''),
    }
  }

  #state(model: string, version: string) {
    let modelState = this.#models.get(model)
    if (!modelState) {
      modelState = { versions: new Map() }
      this.#models.set(model, modelState)
    }
    let versionState = modelState.versions.get(version)
    if (!versionState) {
      versionState = { streak: [], seen: new Set() }
      modelState.versions.set(version, versionState)
    }
    return { model: modelState, version: versionState }
  }
}
