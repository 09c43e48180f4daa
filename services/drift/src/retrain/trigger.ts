import { setTimeout as sleep } from 'node:timers/promises'
import type { DriftEvaluation } from '../evaluation/index.ts'
import type { RetrainDecision, RetrainPolicy } from './policy.ts'
import { errorMessage, type Trainer, type TrainingJob, trainingJobName } from './trainer.ts'

export interface RetrainTriggerOptions {
  policy: RetrainPolicy
  trainer: Trainer
  /** Told of each job when it starts and whenever its status changes. */
  onJob?: (job: TrainingJob, decision: RetrainDecision) => void | Promise<void>
  /** How often a started job is described until it ends, when the trainer can describe jobs. */
  pollMs?: number
}

// Describe calls in a row that may fail (a network blip) before the job is given up on.
const DESCRIBE_ATTEMPTS = 5

/**
 * Runs the trainer when the policy decides to retrain, one job at a time per model: a decision
 * for a model whose job is still running is dropped (and counted), not queued, since the running
 * job already answers the drift. A job that runs on after `start` (SageMaker) counts as running
 * until describing it shows it ended.
 */
export class RetrainTrigger {
  readonly #options: RetrainTriggerOptions & { pollMs: number }
  readonly #running = new Map<string, Promise<TrainingJob>>()
  readonly #closing = new AbortController()
  #dropped = 0

  constructor(options: RetrainTriggerOptions) {
    this.#options = { pollMs: 60_000, ...options }
  }

  /** Decisions dropped because a job for the model was running. */
  get dropped() {
    return this.#dropped
  }

  /** Whether a job for the model is running. */
  running(model: string) {
    return this.#running.has(model)
  }

  /**
   * Feeds the evaluation to the policy and, on a decision, starts a job. Returns the job's final
   * state (rejected if `onJob` failed), or undefined when there was no decision or it was dropped.
   * The job runs whether or not the caller waits for it.
   */
  observe(evaluation: DriftEvaluation): Promise<TrainingJob> | undefined {
    const decision = this.#options.policy.observe(evaluation)
    if (!decision) return undefined
    if (this.#running.has(decision.model)) {
      this.#dropped++
      return undefined
    }
    const job = this.#run(decision).finally(() => this.#running.delete(decision.model))
    // Handled here so that a caller who doesn't wait is not crashed by a failing onJob.
    job.catch(() => undefined)
    this.#running.set(decision.model, job)
    return job
  }

  /** Stops following jobs that run on (they are left running) and waits for the others. */
  async close() {
    this.#closing.abort()
    await Promise.allSettled(this.#running.values())
  }

  async #run(decision: RetrainDecision): Promise<TrainingJob> {
    const { trainer, onJob, pollMs } = this.#options
    let job: TrainingJob
    try {
      job = await trainer.start(decision)
    } catch (error) {
      job = {
        id: trainingJobName(decision),
        trainer: trainer.name,
        status: 'failed',
        details: { error: errorMessage(error) },
      }
    }
    await onJob?.(job, decision)
    let failures = 0
    while (job.status === 'started' && trainer.describe) {
      try {
        await sleep(pollMs, undefined, { signal: this.#closing.signal, ref: false })
      } catch {
        return job // closing
      }
      let next: TrainingJob
      try {
        next = await trainer.describe(job.id)
        failures = 0
      } catch (error) {
        if (++failures < DESCRIBE_ATTEMPTS) continue
        const details = { ...job.details, error: `lost track of the job: ${errorMessage(error)}` }
        next = { ...job, status: 'failed', details }
      }
      if (next.status !== job.status) await onJob?.(next, decision)
      job = next
    }
    return job
  }
}
