import {
  type Channel,
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  ResourceInUse,
  SageMakerClient,
  type TrainingInstanceType,
  type TrainingJobStatus,
} from '@aws-sdk/client-sagemaker'
import {
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

  constructor(options: SageMakerTrainerOptions) {
    this.#client = options.client ?? new SageMakerClient({ region: options.region })
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

  async describe(jobName: string): Promise<TrainingJob> {
    const job = await this.#client.send(
      new DescribeTrainingJobCommand({ TrainingJobName: jobName }),
    )
    const status = job.TrainingJobStatus
    if (!status || !(status in STATUSES)) {
      throw new Error(`training job ${jobName} has an unknown status '${status}'`)
    }
    return {
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
  }
}

const s3Channel = (name: string, uri: string, contentType: string): Channel => ({
  ChannelName: name,
  DataSource: {
    S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' },
  },
  ContentType: contentType,
})
