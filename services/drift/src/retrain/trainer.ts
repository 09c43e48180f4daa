import { createHash } from 'node:crypto'

/** What to retrain and why: a model version whose drift persisted over `windows`. */
export interface TrainingRequest {
  model: string
  version: string
  /** The ids of the drifted windows that led to the request. */
  windows: string[]
  reason: string
}

export type TrainingStatus = 'started' | 'completed' | 'failed'

export interface TrainingJob {
  id: string
  /** The trainer's name. */
  trainer: string
  status: TrainingStatus
  /** What the trainer tells about the job: the new version and its metrics, the job ARN, an error. */
  details: Record<string, unknown>
}

export interface Trainer {
  readonly name: string
  start(request: TrainingRequest): Promise<TrainingJob>
  /** The job's current state, for trainers whose jobs run on after `start` returns. */
  describe?(id: string): Promise<TrainingJob>
}

// SageMaker's limit for training job names.
const MAX_JOB_NAME = 63
const HASH_CHARS = 12

/**
 * The job's name: the same request always gets the same name (so a retried start is recognised as a
 * duplicate), at most 63 characters of [a-zA-Z0-9-] beginning and ending with a letter or digit.
 */
export function trainingJobName({ model, version, windows }: TrainingRequest): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([model, version, windows]))
    .digest('hex')
    .slice(0, HASH_CHARS)
  const readable = `infera-${model}-v${version}`
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .slice(0, MAX_JOB_NAME - HASH_CHARS - 1)
    .replace(/-+$/, '')
  return `${readable}-${hash}`
}

export const errorMessage = (error: unknown) =>
  error instanceof Error ? error.message : String(error)
