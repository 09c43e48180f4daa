import type { DemoMetrics } from '../../../../training/demo/pipeline.ts'
import type { TrainingRequest } from './trainer.ts'

/** A version the local trainer can't retrain from: the message says what is missing. */
export class RetrainInputError extends Error {}

/** What retraining reads of the version it retrains. */
export interface VersionInputs {
  /** Its config.json: the features it reads and the classes it names, which the new one shares. */
  config: Record<string, unknown>
  /** Its training rows: reference.csv. */
  referenceCsv: string
}

/** A version the local trainer made, with what it was made from. */
export interface RetrainedVersion {
  request: TrainingRequest
  jobId: string
  /** The retrained version's config.json. */
  config: Record<string, unknown>
  onnx: Uint8Array
  metrics: DemoMetrics
  /** The new version's training rows. */
  referenceCsv: string
  /** The held-out labelled captured rows, features and target, that scored the new version. */
  holdoutCsv: string
  /** Where the captured rows were read from. */
  capturesDir: string
}

/**
 * Where the local trainer reads the version it retrains, and where the new version goes: a model
 * repository folder, or the model registry.
 */
export interface ModelVersions {
  /** Throws RetrainInputError when the version or what retraining needs of it is missing. */
  read(model: string, version: string): Promise<VersionInputs>
  /** Stores the new version; returns what the job's details say of it, its number first. */
  publish(retrained: RetrainedVersion): Promise<{ version: string } & Record<string, unknown>>
}
