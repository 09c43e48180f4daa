import { S3Client } from '@aws-sdk/client-s3'
import {
  type Channel,
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
  ResourceInUse,
  SageMakerClient,
  type TrainingInstanceType,
  type TrainingJobStatus,
} from '@aws-sdk/client-sagemaker'
import { type ModelRegistry, RegistryError } from '../../../registry/src/types.ts'
import { VERSION_NUMBER } from '../references/index.ts'
import { downloadModelArtifact, ModelArtifactError } from './artifact.ts'
import { type CandidateDetails, type PromotionOptions, RegistryVersions } from './registry.ts'
import {
  errorMessage,
  type Trainer,
  type TrainingJob,
  type TrainingRequest,
  type TrainingStatus,
  trainingJobName,
} from './trainer.ts'

export interface SageMakerTrainerOptions {
  /** Defaults to a client for `region` with the default credential chain. */
  client?: SageMakerClient
  region: string
  /** The IAM role SageMaker assumes to read the data and write the model. */
  roleArn: string
  /** The training image URI (ECR). */
  image: string
  /** Default ml.m5.large. */
  instanceType?: TrainingInstanceType
  /** `s3://bucket/prefix` where captures land, as `<model>/<version>/<day>.jsonl`. */
  captureS3Uri: string
  /** `s3://bucket/prefix` for the job's output; each model's jobs write under `<model>/`. */
  outputS3Uri: string
  /** The model repository in S3: when set, jobs also get `<model>/<version>/reference.csv`. */
  referenceS3Uri?: string
  /** Default one hour. */
  maxRuntimeSeconds?: number
  /**
   * Registers what a completed job made as a `candidate` version (see README: the model artifact
   * contract); without it a completed job only reports where its artifact is.
   */
  registry?: ModelRegistry
  /** With `registry`: puts the candidate through the evaluation gate into the canary. */
  promotion?: PromotionOptions
  /**
   * Reads the jobs' model artifacts. Defaults to a client for `region`; give one with `endpoint`
   * and `forcePathStyle: true` for an S3-compatible server.
   */
  s3?: S3Client
}

// Captures of a model version are JSON lines: a few GB at most.
const VOLUME_SIZE_GB = 10
const TAG_VALUE_LENGTH = 256

const STATUSES: Record<TrainingJobStatus, TrainingStatus> = {
  InProgress: 'started',
  // Still running: it ends Stopped.
  Stopping: 'started',
  Completed: 'completed',
  Failed: 'failed',
  Stopped: 'failed',
  // Deleted on request: whatever it made is going away.
  Deleting: 'failed',
}

function s3Prefix(name: string, uri: string) {
  if (!/^s3:\/\/[^/]+/.test(uri)) throw new Error(`${name} must be an s3:// URI, not '${uri}'`)
  return uri.replace(/\/+$/, '')
}

// Tag values allow letters, digits, spaces and _.:/=+-@ only.
const tagValue = (value: string) =>
  value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, TAG_VALUE_LENGTH)

/**
 * Retrains on SageMaker: one training job per request, on the captures of the drifting version.
 * The job name derives from the request, so a start retried for the same windows finds the job
 * already there instead of starting a second one.
 */
export class SageMakerTrainer implements Trainer {
  readonly name = 'sagemaker'
  readonly #client: SageMakerClient
  readonly #options: SageMakerTrainerOptions
  readonly #versions: RegistryVersions | undefined
  readonly #s3: S3Client | undefined
  /** Why each job this trainer started was started: the registry's audit log says it. */
  readonly #reasons = new Map<string, string>()
  /** Completed jobs' registrations, by job name: a job's model is registered once. */
  readonly #registrations = new Map<string, Promise<TrainingJob>>()

  constructor(options: SageMakerTrainerOptions) {
    if (options.promotion && !options.registry) {
      throw new Error('a promotion needs the registry the candidates are registered in')
    }
    this.#client = options.client ?? new SageMakerClient({ region: options.region })
    this.#versions = options.registry && new RegistryVersions(options.registry, options.promotion)
    this.#s3 = options.registry && (options.s3 ?? new S3Client({ region: options.region }))
    this.#options = {
      ...options,
      captureS3Uri: s3Prefix('captureS3Uri', options.captureS3Uri),
      outputS3Uri: s3Prefix('outputS3Uri', options.outputS3Uri),
      ...(options.referenceS3Uri && {
        referenceS3Uri: s3Prefix('referenceS3Uri', options.referenceS3Uri),
      }),
    }
  }

  async start(request: TrainingRequest): Promise<TrainingJob> {
    const { model, version, windows } = request
    const o = this.#options
    const name = trainingJobName(request)
    const channels: Channel[] = [
      s3Channel('captures', `${o.captureS3Uri}/${model}/${version}/`, 'application/jsonlines'),
    ]
    if (o.referenceS3Uri) {
      const uri = `${o.referenceS3Uri}/${model}/${version}/reference.csv`
      channels.push(s3Channel('reference', uri, 'text/csv'))
    }
    this.#reasons.set(name, request.reason)
    try {
      const created = await this.#client.send(
        new CreateTrainingJobCommand({
          TrainingJobName: name,
          RoleArn: o.roleArn,
          AlgorithmSpecification: { TrainingImage: o.image, TrainingInputMode: 'File' },
          InputDataConfig: channels,
          OutputDataConfig: { S3OutputPath: `${o.outputS3Uri}/${model}/` },
          ResourceConfig: {
            InstanceType: o.instanceType ?? 'ml.m5.large',
            InstanceCount: 1,
            VolumeSizeInGB: VOLUME_SIZE_GB,
          },
          StoppingCondition: { MaxRuntimeInSeconds: o.maxRuntimeSeconds ?? 3600 },
          HyperParameters: { model, version, windows: JSON.stringify(windows) },
          Tags: [
            { Key: 'infera:model', Value: tagValue(model) },
            { Key: 'infera:version', Value: tagValue(version) },
            { Key: 'infera:first-window', Value: tagValue(windows[0] ?? '') },
            { Key: 'infera:last-window', Value: tagValue(windows.at(-1) ?? '') },
          ],
        }),
      )
      return {
        id: name,
        trainer: this.name,
        status: 'started',
        details: { job_name: name, arn: created.TrainingJobArn },
      }
    } catch (error) {
      if (!(error instanceof ResourceInUse)) throw error
      const existing = await this.describe(name)
      return { ...existing, details: { ...existing.details, already_existed: true } }
    }
  }

  /**
   * The job's state. With a registry, a completed job's model artifact is registered (once) as a
   * candidate before the job is reported completed, with the candidate's details; an artifact
   * that can't be used makes the job failed, with nothing registered.
   */
  async describe(jobName: string): Promise<TrainingJob> {
    const job = await this.#client.send(
      new DescribeTrainingJobCommand({ TrainingJobName: jobName }),
    )
    const status = job.TrainingJobStatus
    if (!status || !(status in STATUSES)) {
      throw new Error(`training job ${jobName} has an unknown status '${status}'`)
    }
    const described: TrainingJob = {
      id: jobName,
      trainer: this.name,
      status: STATUSES[status],
      details: {
        job_name: jobName,
        arn: job.TrainingJobArn,
        sagemaker_status: status,
        secondary_status: job.SecondaryStatus,
        ...(job.FailureReason && { error: job.FailureReason }),
        ...(job.ModelArtifacts?.S3ModelArtifacts && {
          model_artifacts: job.ModelArtifacts.S3ModelArtifacts,
        }),
      },
    }
    if (described.status !== 'completed' || !this.#versions) return described
    let registration = this.#registrations.get(jobName)
    if (!registration) {
      registration = this.#register(described, job)
      this.#registrations.set(jobName, registration)
      // Tried again on the next describe when it failed on the way (S3 or the registry down).
      registration.catch(() => this.#registrations.delete(jobName))
    }
    return registration
  }

  /** Registers a completed job's model; a ModelArtifactError or a refusal fails the job. */
  async #register(
    described: TrainingJob,
    job: DescribeTrainingJobCommandOutput,
  ): Promise<TrainingJob> {
    const versions = this.#versions as RegistryVersions
    const failed = (error: string): TrainingJob => ({
      ...described,
      status: 'failed',
      details: { ...described.details, error },
    })
    const name = described.id
    const { model, version, windows } = job.HyperParameters ?? {}
    if (!model || !version || !VERSION_NUMBER.test(version)) {
      return failed(
        `training job ${name} has no model and version number among its hyperparameters: ` +
          'it was not started by infera',
      )
    }
    const trainingJob = job.TrainingJobArn ?? name
    const completed = (details: CandidateDetails & Record<string, unknown>): TrainingJob => ({
      ...described,
      details: { ...described.details, ...details, from_version: version },
    })
    try {
      const earlier = await registeredBy(versions.registry, model, trainingJob)
      if (earlier) return completed(earlier)
      const artifacts = job.ModelArtifacts?.S3ModelArtifacts
      if (!artifacts) return failed(`training job ${name} completed without a model artifact`)
      const [artifact, serving] = await Promise.all([
        downloadModelArtifact(this.#s3 as S3Client, artifacts),
        versions.registry.version(model, Number(version)),
      ])
      const request: TrainingRequest = {
        model,
        version,
        windows: parseWindows(windows),
        reason: this.#reasons.get(name) ?? `SageMaker training job ${name}`,
      }
      const captures = job.InputDataConfig?.find((c) => c.ChannelName === 'captures')
      const details = await versions.registerCandidate({
        request,
        files: {
          'model.onnx': artifact.onnx,
          'reference.csv': new TextEncoder().encode(artifact.referenceCsv),
        },
        config: serving.config,
        metrics: artifact.metrics,
        lineage: {
          data_location:
            captures?.DataSource?.S3DataSource?.S3Uri ??
            `${this.#options.captureS3Uri}/${model}/${version}/`,
          code_version: job.AlgorithmSpecification?.TrainingImage ?? this.#options.image,
          training_job: trainingJob,
        },
        ...(artifact.holdoutCsv !== undefined && { holdoutCsv: artifact.holdoutCsv }),
      })
      return completed(details)
    } catch (error) {
      // What won't change by asking again: the artifact, the serving version, the registration.
      if (error instanceof ModelArtifactError) return failed(error.message)
      if (error instanceof RegistryError && error.status < 500) {
        return failed(`the model of ${name} was not registered: ${errorMessage(error)}`)
      }
      throw error
    }
  }
}

/** The candidate an earlier describe registered for the job, found by its lineage. */
async function registeredBy(
  registry: ModelRegistry,
  name: string,
  trainingJob: string,
): Promise<(CandidateDetails & { already_registered: true }) | undefined> {
  let model: Awaited<ReturnType<ModelRegistry['show']>>
  try {
    model = await registry.show(name)
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined
    throw error
  }
  const found = model.versions.find((v) => v.lineage.training_job === trainingJob)?.version
  if (found === undefined) return undefined
  const canary = model.aliases.canary?.version === found ? model.aliases.canary : undefined
  return {
    version: String(found),
    stage: 'candidate',
    gate: 'skipped',
    promoted: canary !== undefined,
    ...(canary?.weight != null && { canary_weight: canary.weight }),
    ...(!canary && { not_promoted: `version ${found} was registered by this job before` }),
    already_registered: true,
  }
}

function parseWindows(windows: string | undefined): string[] {
  try {
    const parsed = JSON.parse(windows ?? '[]')
    return Array.isArray(parsed) ? parsed.map(String) : []
  } catch {
    return []
  }
}

const s3Channel = (name: string, uri: string, contentType: string): Channel => ({
  ChannelName: name,
  DataSource: {
    S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' },
  },
  ContentType: contentType,
})
