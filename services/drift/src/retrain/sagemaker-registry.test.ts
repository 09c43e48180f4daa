import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { create } from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  S3RVER_CREDENTIALS,
  startS3,
  type TestS3,
} from '../../../registry/src/artifacts/testing.ts'
import {
  registration,
  tempDir,
  unreachableUrl,
  usePenguinsRegistry,
} from '../../../registry/src/testing/index.ts'
import {
  type CandidateDetails,
  candidateGate,
  RetrainPolicy,
  RetrainTrigger,
  SageMakerTrainer,
  type SageMakerTrainerOptions,
  type TrainingJob,
  trainingJobName,
} from './index.ts'
import {
  evaluation,
  type SageMakerCall,
  type SageMakerReply,
  TRAINING_IMAGE,
  TRAINING_ROLE,
  trainerOnFakeSageMaker,
  trainingJobArn,
} from './testing.ts'

const BUCKET = 'infera-models'
const IMAGE = TRAINING_IMAGE
const CAPTURES = 's3://infera-captures/prod'
const ARN = trainingJobArn

const fixture = usePenguinsRegistry()
let s3server: TestS3
let s3: S3Client
const servers: Array<{ close(): Promise<void> }> = []

beforeAll(async () => {
  s3server = await startS3(BUCKET)
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: s3server.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  })
  // Production: the demo model as CI registers it.
  await fixture.registry.register(registration('penguins', fixture.good, { actor: 'ci' }))
  await fixture.registry.promote('penguins', 1, { to: 'production', actor: 'ci' })
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  s3?.destroy()
  await s3server?.close()
})

let requests = 0
/** A fresh request for penguins version 1: each gets its own job name. */
const nextRequest = () => {
  requests++
  return {
    model: 'penguins',
    version: '1',
    windows: [`penguins:1:w${requests}a`, `penguins:1:w${requests}b`],
    reason: 'bodies weighed in kilograms',
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** A model.tar.gz as SageMaker packs /opt/ml/model: the files given, as `./name`. */
async function modelTarball(files: Record<string, Uint8Array | string>) {
  const dir = tempDir('infera-sagemaker-model-')
  const modelDir = join(dir, 'model')
  mkdirSync(modelDir)
  for (const [name, content] of Object.entries(files)) writeFileSync(join(modelDir, name), content)
  const file = join(dir, 'model.tar.gz')
  await create(
    { gzip: true, cwd: modelDir, file },
    Object.keys(files).map((n) => `./${n}`),
  )
  const bytes = new Uint8Array(readFileSync(file))
  rmSync(dir, { recursive: true, force: true })
  return bytes
}

/** The demo model as a training image leaves it, with or without held-out rows. */
async function penguinsTarball({ holdout = true, weak = false } = {}) {
  const trained = weak ? fixture.weak : fixture.good
  return modelTarball({
    'model.onnx': trained.onnx,
    'metrics.json': JSON.stringify(trained.metrics),
    'reference.csv': trained.reference,
    ...(holdout && { 'holdout.csv': fixture.csv }),
  })
}

/** Where SageMaker writes a job's model: `<output>/<job>/output/model.tar.gz`. */
async function upload(jobName: string, body: Uint8Array | undefined) {
  const key = `retrain/penguins/${jobName}/output/model.tar.gz`
  if (body) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
  return `s3://${BUCKET}/${key}`
}

/** DescribeTrainingJob's answer for a job the trainer started for `request`. */
function described(
  request: ReturnType<typeof nextRequest>,
  status: string,
  artifacts: string,
): SageMakerReply {
  const name = trainingJobName(request)
  return {
    body: {
      TrainingJobName: name,
      TrainingJobArn: ARN(name),
      TrainingJobStatus: status,
      SecondaryStatus: status === 'Completed' ? 'Completed' : 'Training',
      HyperParameters: {
        model: request.model,
        version: request.version,
        windows: JSON.stringify(request.windows),
      },
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
      InputDataConfig: [
        {
          ChannelName: 'captures',
          DataSource: {
            S3DataSource: {
              S3DataType: 'S3Prefix',
              S3Uri: `${CAPTURES}/penguins/1/`,
              S3DataDistributionType: 'FullyReplicated',
            },
          },
        },
      ],
      ModelArtifacts: { S3ModelArtifacts: status === 'Completed' ? artifacts : '' },
      StoppingCondition: {},
      CreationTime: 1_772_323_200,
    },
  }
}

/** A trainer on the registry and s3rver, with SageMaker answering as `reply` says. */
const trainer = (
  reply: (call: SageMakerCall) => SageMakerReply,
  options: Partial<SageMakerTrainerOptions> = {},
) =>
  trainerOnFakeSageMaker(
    reply,
    {
      captureS3Uri: CAPTURES,
      outputS3Uri: `s3://${BUCKET}/retrain`,
      registry: fixture.registry,
      s3,
      ...options,
    },
    (server) => servers.push(server),
  )

/** A trainer whose jobs have all completed, leaving the artifact at `artifacts`. */
const completedJob = async (
  request: ReturnType<typeof nextRequest>,
  body: Uint8Array | undefined,
  options: Partial<SageMakerTrainerOptions> = {},
) => {
  const artifacts = await upload(trainingJobName(request), body)
  return trainer(() => described(request, 'Completed', artifacts), options)
}

const versionCount = async () => (await fixture.registry.show('penguins')).versions.length

describe('SageMakerTrainer on the model registry', () => {
  it('registers a completed job’s model as a candidate and puts it into the canary', async () => {
    const artifacts = await upload('from-the-trigger', await penguinsTarball())
    // The job the trigger starts runs for two describes, then completes.
    let started: ReturnType<typeof nextRequest> | undefined
    let describes = 0
    const { trainer: sagemaker } = await trainer(
      ({ target, body }) => {
        if (target === 'SageMaker.CreateTrainingJob') {
          const { model, version, windows } = body.HyperParameters
          started = { model, version, windows: JSON.parse(windows), reason: '' }
          return { body: { TrainingJobArn: ARN(body.TrainingJobName) } }
        }
        const request = started as ReturnType<typeof nextRequest>
        return described(request, ++describes < 3 ? 'InProgress' : 'Completed', artifacts)
      },
      { promotion: { canaryWeight: 20 } },
    )
    // The trigger starts the job on persistent drift and describes it until it ends.
    const seen: TrainingJob[] = []
    const trigger = new RetrainTrigger({
      policy: new RetrainPolicy({ consecutiveWindows: 2, cooldownMs: 0 }),
      trainer: sagemaker,
      onJob: (job) => {
        seen.push(job)
      },
      pollMs: 10,
    })
    expect(trigger.observe(evaluation('penguins', '1', 0, true))).toBeUndefined()
    const job = (await trigger.observe(evaluation('penguins', '1', 1, true))) as TrainingJob
    await trigger.close()

    expect(seen.map((j) => j.status)).toEqual(['started', 'completed'])
    expect(job).toMatchObject({
      id: trainingJobName(started as ReturnType<typeof nextRequest>),
      trainer: 'sagemaker',
      status: 'completed',
      details: {
        sagemaker_status: 'Completed',
        model_artifacts: expect.stringMatching(/^s3:\/\/infera-models\/retrain\/penguins\//),
        version: '2',
        from_version: '1',
        stage: 'candidate',
        gate: 'passed',
        gate_summary: expect.any(String),
        promoted: true,
        canary_weight: 20,
      } satisfies Partial<CandidateDetails> & Record<string, unknown>,
    })
    // The drift service counts it as it counts the local trainer's candidates.
    expect(candidateGate(job)).toBe('passed')

    const candidate = await fixture.registry.version('penguins', 2)
    const serving = await fixture.registry.version('penguins', 1)
    expect(candidate).toMatchObject({
      stage: 'candidate',
      created_by: 'drift-retrain',
      config: serving.config,
      metrics: fixture.good.metrics,
      lineage: {
        data_location: `${CAPTURES}/penguins/1/`,
        code_version: IMAGE,
        training_job: ARN(job.id),
      },
    })
    expect(candidate.files['model.onnx']?.sha256).toBe(sha256(fixture.good.onnx))
    expect(candidate.files['reference.csv']?.sha256).toBe(
      sha256(new TextEncoder().encode(fixture.good.reference)),
    )
    expect(candidate.gate_reports).toMatchObject([
      { passed: true, report: { production_version: 1, actor: 'drift-retrain' } },
    ])
    const model = await fixture.registry.show('penguins')
    expect(model.aliases).toMatchObject({
      production: { version: 1 },
      canary: { version: 2, weight: 20 },
    })
    // The audit log says why the trigger started the job.
    expect(model.audit.find((e) => e.action === 'register' && e.version === 2)).toMatchObject({
      actor: 'drift-retrain',
      reason: expect.stringMatching(
        /^dataset drift in 2 consecutive windows of penguins version 1/,
      ),
    })
  })

  it('registers the model once however often the completed job is described', async () => {
    const request = nextRequest()
    const { trainer: first } = await completedJob(request, await penguinsTarball())
    const name = trainingJobName(request)
    const before = await versionCount()
    const [a, b] = await Promise.all([first.describe(name), first.describe(name)])
    expect(a).toEqual(b)
    expect(await first.describe(name)).toEqual(a)
    expect(await versionCount()).toBe(before + 1)
    // Another trainer (the drift service restarted) finds the version by its lineage.
    const { trainer: second } = await completedJob(request, await penguinsTarball())
    expect(await second.describe(name)).toMatchObject({
      status: 'completed',
      details: { version: a.details.version, stage: 'candidate', already_registered: true },
    })
    expect(await versionCount()).toBe(before + 1)
  })

  it('keeps the candidate a candidate when the artifact has no holdout.csv', async () => {
    const request = nextRequest()
    const { trainer: sagemaker } = await completedJob(
      request,
      await penguinsTarball({ holdout: false }),
      { promotion: { canaryWeight: 20 } },
    )
    const job = await sagemaker.describe(trainingJobName(request))
    expect(job).toMatchObject({
      status: 'completed',
      details: {
        stage: 'candidate',
        gate: 'skipped',
        promoted: false,
        not_promoted: expect.stringMatching(/no holdout\.csv/),
      },
    })
    expect(candidateGate(job)).toBe('skipped')
    const version = Number(job.details.version)
    const candidate = await fixture.registry.version('penguins', version)
    expect(candidate).toMatchObject({ stage: 'candidate', aliases: [], gate_reports: [] })
    expect(candidate.files['model.onnx']?.sha256).toBe(sha256(fixture.good.onnx))
  })

  it('keeps a candidate the gate refuses a candidate', async () => {
    const request = nextRequest()
    const { trainer: sagemaker } = await completedJob(
      request,
      await penguinsTarball({ weak: true }),
      { promotion: { canaryWeight: 20, margin: 0.01 } },
    )
    const job = await sagemaker.describe(trainingJobName(request))
    expect(job).toMatchObject({
      status: 'completed',
      details: {
        stage: 'candidate',
        gate: 'refused',
        // The weak model is already worse on production's own training data.
        reference_gate_summary: expect.stringMatching(/production version 1/),
        promoted: false,
        not_promoted: expect.stringMatching(/^the gate on production's training data refused: /),
      },
    })
    const model = await fixture.registry.show('penguins')
    expect(model.aliases.canary?.version).toBe(2)
    expect(model.versions.find((v) => v.version === Number(job.details.version))?.stage).toBe(
      'candidate',
    )
  })

  it('registers without promotion when none is configured', async () => {
    const request = nextRequest()
    const { trainer: sagemaker } = await completedJob(request, await penguinsTarball())
    expect(await sagemaker.describe(trainingJobName(request))).toMatchObject({
      status: 'completed',
      details: { gate: 'skipped', promoted: false, not_promoted: 'no promotion configured' },
    })
  })

  it('fails the job, registering nothing, when the artifact is missing, damaged or incomplete', async () => {
    const good = await penguinsTarball()
    const { onnx, metrics, reference } = fixture.good
    const cases: Array<[string, Uint8Array | undefined, RegExp]> = [
      ['missing', undefined, /^can't read the model artifact s3:\/\/.*model\.tar\.gz: NoSuchKey/],
      ['truncated', good.subarray(0, good.length / 2), /is not a readable model\.tar\.gz/],
      [
        'not a tarball',
        new TextEncoder().encode('model.onnx'.repeat(100)),
        /is not a readable model\.tar\.gz/,
      ],
      [
        'without model.onnx',
        await modelTarball({ 'metrics.json': JSON.stringify(metrics), 'reference.csv': reference }),
        /has no model\.onnx/,
      ],
      [
        'with an empty model.onnx',
        await modelTarball({ 'model.onnx': '', 'reference.csv': reference }),
        /has no model\.onnx \(it is empty\)/,
      ],
      [
        'without reference.csv',
        await modelTarball({ 'model.onnx': onnx }),
        /has no reference\.csv/,
      ],
      [
        'with metrics.json not JSON',
        await modelTarball({ 'model.onnx': onnx, 'reference.csv': reference, 'metrics.json': '{' }),
        /metrics\.json that is not JSON/,
      ],
      [
        'with a model.onnx that is not a model',
        await modelTarball({ 'model.onnx': 'not onnx', 'reference.csv': reference }),
        /^the model of .* was not registered: .*does not load/,
      ],
    ]
    const before = await versionCount()
    for (const [what, body, error] of cases) {
      const request = nextRequest()
      const { trainer: sagemaker } = await completedJob(request, body, {
        promotion: { canaryWeight: 20 },
      })
      const job = await sagemaker.describe(trainingJobName(request))
      expect(job, what).toMatchObject({
        status: 'failed',
        details: { sagemaker_status: 'Completed', error: expect.stringMatching(error) },
      })
      expect(candidateGate(job), what).toBeUndefined()
    }
    // A job for a version the registry doesn't have: there is no config.json to register with.
    const unknown = { ...nextRequest(), version: '9' }
    const { trainer: sagemaker } = await completedJob(unknown, good)
    expect(await sagemaker.describe(trainingJobName(unknown))).toMatchObject({
      status: 'failed',
      details: { error: expect.stringMatching(/was not registered: no version 9 of penguins/) },
    })
    expect(await versionCount()).toBe(before)
  })

  it('tries again on the next describe when S3 does not answer', async () => {
    const request = nextRequest()
    const name = trainingJobName(request)
    const down = new S3Client({
      region: 'us-east-1',
      endpoint: await unreachableUrl(),
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      maxAttempts: 1,
    })
    const { trainer: sagemaker } = await completedJob(request, await penguinsTarball(), {
      s3: down,
    })
    const before = await versionCount()
    await expect(sagemaker.describe(name)).rejects.toThrow()
    await expect(sagemaker.describe(name)).rejects.toThrow()
    expect(await versionCount()).toBe(before)
    down.destroy()
    // Once S3 answers, the same job's model is registered.
    const { trainer: again } = await completedJob(request, await penguinsTarball())
    expect(await again.describe(name)).toMatchObject({
      status: 'completed',
      details: { stage: 'candidate' },
    })
    expect(await versionCount()).toBe(before + 1)
  })

  it('reports a failed job as SageMaker does, without reading S3', async () => {
    const request = nextRequest()
    const { trainer: sagemaker } = await trainer(() => ({
      body: {
        ...described(request, 'Failed', '').body,
        FailureReason: 'AlgorithmError: out of memory',
      },
    }))
    expect(await sagemaker.describe(trainingJobName(request))).toMatchObject({
      status: 'failed',
      details: { error: 'AlgorithmError: out of memory' },
    })
  })

  it('needs a registry for a promotion', () => {
    expect(
      () =>
        new SageMakerTrainer({
          region: 'us-east-1',
          roleArn: TRAINING_ROLE,
          image: IMAGE,
          captureS3Uri: CAPTURES,
          outputS3Uri: `s3://${BUCKET}/retrain`,
          promotion: { canaryWeight: 20 },
        }),
    ).toThrow(/a promotion needs the registry/)
  })
})
