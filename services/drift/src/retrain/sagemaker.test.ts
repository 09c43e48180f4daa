import { afterEach, describe, expect, it } from 'vitest'
import { SageMakerTrainer, type SageMakerTrainerOptions, trainingJobName } from './index.ts'
import {
  type SageMakerCall,
  type SageMakerReply,
  TRAINING_IMAGE,
  TRAINING_ROLE,
  trainerOnFakeSageMaker,
  trainingJobArn,
} from './testing.ts'

const ROLE = TRAINING_ROLE
const IMAGE = TRAINING_IMAGE
const ARN = trainingJobArn
const REQUEST = {
  model: 'penguins',
  version: '3',
  windows: ['penguins:3:2026-03-01T00:00:00.000Z:2026-03-01T00:10:00.000Z', 'penguins:3:w2'],
  reason: 'dataset drift',
}

let servers: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

const trainerWith = (
  reply: (call: SageMakerCall) => SageMakerReply,
  options: Partial<SageMakerTrainerOptions> = {},
) =>
  trainerOnFakeSageMaker(
    reply,
    {
      captureS3Uri: 's3://infera-captures/prod/',
      outputS3Uri: 's3://infera-models/retrain',
      ...options,
    },
    (server) => servers.push(server),
  )

const describeReply = (status: string, extra: object = {}) => ({
  body: {
    TrainingJobName: trainingJobName(REQUEST),
    TrainingJobArn: ARN(trainingJobName(REQUEST)),
    TrainingJobStatus: status,
    SecondaryStatus: 'Training',
    ModelArtifacts: { S3ModelArtifacts: '' },
    StoppingCondition: {},
    CreationTime: 1_772_323_200,
    ...extra,
  },
})

describe('trainingJobName', () => {
  it('is deterministic, differs with the windows and is a valid SageMaker name', () => {
    const name = trainingJobName(REQUEST)
    expect(name).toBe(trainingJobName({ ...REQUEST, reason: 'said differently' }))
    expect(name).not.toBe(trainingJobName({ ...REQUEST, windows: ['penguins:3:w3'] }))
    expect(name).toMatch(/^infera-penguins-v3-[0-9a-f]{12}$/)
    const odd = trainingJobName({
      ...REQUEST,
      model: `${'Ünïcode model/'.repeat(10)}-`,
      version: '12',
    })
    expect(odd.length).toBeLessThanOrEqual(63)
    expect(odd).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/)
  })
})

describe('SageMakerTrainer', () => {
  it('creates a training job on the captures of the drifting version', async () => {
    const { trainer, calls } = await trainerWith(
      ({ body }) => ({ body: { TrainingJobArn: ARN(body.TrainingJobName) } }),
      { referenceS3Uri: 's3://infera-models/repository', maxRuntimeSeconds: 1800 },
    )
    const job = await trainer.start(REQUEST)
    const name = trainingJobName(REQUEST)
    expect(job).toEqual({
      id: name,
      trainer: 'sagemaker',
      status: 'started',
      details: { job_name: name, arn: ARN(name) },
    })
    expect(calls).toHaveLength(1)
    const [{ target, body }] = calls as [SageMakerCall]
    expect(target).toBe('SageMaker.CreateTrainingJob')
    expect(body).toMatchObject({
      TrainingJobName: name,
      RoleArn: ROLE,
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
      OutputDataConfig: { S3OutputPath: 's3://infera-models/retrain/penguins/' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 1800 },
      HyperParameters: {
        model: 'penguins',
        version: '3',
        windows: JSON.stringify(REQUEST.windows),
      },
    })
    const uris = Object.fromEntries(
      body.InputDataConfig.map(
        (c: { ChannelName: string; DataSource: { S3DataSource: object } }) => [
          c.ChannelName,
          c.DataSource.S3DataSource,
        ],
      ),
    )
    expect(uris).toEqual({
      captures: {
        S3DataType: 'S3Prefix',
        S3Uri: 's3://infera-captures/prod/penguins/3/',
        S3DataDistributionType: 'FullyReplicated',
      },
      reference: {
        S3DataType: 'S3Prefix',
        S3Uri: 's3://infera-models/repository/penguins/3/reference.csv',
        S3DataDistributionType: 'FullyReplicated',
      },
    })
    expect(body.Tags).toEqual([
      { Key: 'infera:model', Value: 'penguins' },
      { Key: 'infera:version', Value: '3' },
      { Key: 'infera:first-window', Value: REQUEST.windows[0] },
      { Key: 'infera:last-window', Value: REQUEST.windows[1] },
    ])
  })

  it('has only the captures channel when no reference location is configured', async () => {
    const { trainer, calls } = await trainerWith(() => ({ body: { TrainingJobArn: 'arn' } }), {
      instanceType: 'ml.c5.xlarge',
    })
    await trainer.start(REQUEST)
    const { body } = calls[0] as SageMakerCall
    expect(body.InputDataConfig.map((c: { ChannelName: string }) => c.ChannelName)).toEqual([
      'captures',
    ])
    expect(body.ResourceConfig.InstanceType).toBe('ml.c5.xlarge')
  })

  it('takes a job that already exists under the name as started, and describes it', async () => {
    const { trainer, calls } = await trainerWith(({ target }) =>
      target === 'SageMaker.CreateTrainingJob'
        ? { status: 400, error: 'ResourceInUse', body: { Message: 'Training job name exists' } }
        : describeReply('InProgress'),
    )
    const job = await trainer.start(REQUEST)
    const name = trainingJobName(REQUEST)
    expect(job).toMatchObject({
      id: name,
      status: 'started',
      details: { arn: ARN(name), sagemaker_status: 'InProgress', already_existed: true },
    })
    expect(calls.map((c) => c.target)).toEqual([
      'SageMaker.CreateTrainingJob',
      'SageMaker.DescribeTrainingJob',
    ])
    expect(calls[1]?.body).toEqual({ TrainingJobName: name })
  })

  it('lets other SageMaker errors through', async () => {
    const { trainer } = await trainerWith(() => ({
      status: 400,
      error: 'ResourceLimitExceeded',
      body: { Message: 'The account-level service limit is 0 instances' },
    }))
    await expect(trainer.start(REQUEST)).rejects.toThrow(/service limit/)
  })

  it('describes jobs as started, completed or failed', async () => {
    const replies: Record<string, SageMakerReply> = {
      'job-running': describeReply('InProgress'),
      'job-stopping': describeReply('Stopping'),
      'job-done': describeReply('Completed', {
        ModelArtifacts: { S3ModelArtifacts: 's3://infera-models/retrain/penguins/model.tar.gz' },
      }),
      'job-failed': describeReply('Failed', { FailureReason: 'AlgorithmError: out of memory' }),
      'job-stopped': describeReply('Stopped'),
      'job-deleting': describeReply('Deleting'),
    }
    const { trainer } = await trainerWith(
      ({ body }) => replies[body.TrainingJobName] as SageMakerReply,
    )
    const status = async (name: string) => (await trainer.describe(name)).status
    expect(await status('job-running')).toBe('started')
    expect(await status('job-stopping')).toBe('started')
    expect(await status('job-stopped')).toBe('failed')
    expect(await status('job-deleting')).toBe('failed')
    expect((await trainer.describe('job-done')).details).toMatchObject({
      sagemaker_status: 'Completed',
      model_artifacts: 's3://infera-models/retrain/penguins/model.tar.gz',
    })
    expect(await trainer.describe('job-failed')).toMatchObject({
      status: 'failed',
      details: { error: 'AlgorithmError: out of memory' },
    })
  })

  it('refuses locations that are not S3 URIs', () => {
    const options = { region: 'us-east-1', roleArn: ROLE, image: IMAGE }
    expect(
      () =>
        new SageMakerTrainer({ ...options, captureS3Uri: '/var/captures', outputS3Uri: 's3://b' }),
    ).toThrow(/captureS3Uri must be an s3:\/\/ URI/)
  })
})
