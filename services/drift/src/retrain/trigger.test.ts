import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildDemoModels } from '../../../../training/demo/index.ts'
import {
  LocalTrainer,
  type RetrainDecision,
  RetrainPolicy,
  RetrainTrigger,
  type RetrainTriggerOptions,
  SageMakerTrainer,
  type TrainingJob,
} from './index.ts'
import {
  evaluation,
  fakeSageMaker,
  kilogramPenguins,
  predictSpecies,
  type SageMakerCall,
  type SageMakerReply,
  writePenguinCaptures,
} from './testing.ts'

/** A trigger deciding on two drifted windows in a row, without cooldown, recording its jobs. */
function triggerWith(options: Omit<RetrainTriggerOptions, 'policy'>) {
  const reported: Array<[TrainingJob, RetrainDecision]> = []
  const trigger = new RetrainTrigger({
    policy: new RetrainPolicy({ consecutiveWindows: 2, cooldownMs: 0 }),
    onJob: (job, decision) => void reported.push([job, decision]),
    ...options,
  })
  /** Observes drifted window `index` of version 1 of the model. */
  const drift = (model: string, index: number) =>
    trigger.observe(evaluation(model, '1', index, true))
  return { trigger, reported, drift }
}

const windowId = (model: string, index: number) => evaluation(model, '1', index, true).window.id

describe('RetrainTrigger with the local trainer', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infera-trigger-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('retrains when drift persists, one job per model at a time', async () => {
    const modelsDir = join(dir, 'models')
    const captureDir = join(dir, 'captures')
    await buildDemoModels({ outDir: modelsDir })
    const config = JSON.parse(await readFile(join(modelsDir, 'penguins', 'config.json'), 'utf8'))
    const { captured } = await kilogramPenguins()
    const served = await predictSpecies(
      join(modelsDir, 'penguins', '1', 'model.onnx'),
      config.labels.probabilities,
      captured,
    )
    await writePenguinCaptures(captureDir, '1', captured, served, 100)
    const { trigger, reported, drift } = triggerWith({
      trainer: new LocalTrainer({ modelsDir, captureDir }),
    })

    expect(drift('penguins', 0)).toBeUndefined()
    const first = drift('penguins', 1)
    expect(first).toBeDefined()
    expect(trigger.running('penguins')).toBe(true)
    // Drift goes on while the job runs: the decision this makes is dropped, not queued.
    expect(drift('penguins', 2)).toBeUndefined()
    expect(drift('penguins', 3)).toBeUndefined()
    expect(trigger.dropped).toBe(1)
    // Another model's job runs beside it (and fails: it is not a demo model).
    drift('resnet', 0)
    const other = drift('resnet', 1)

    expect(await first).toMatchObject({ status: 'completed', details: { version: '2' } })
    expect(await other).toMatchObject({ status: 'failed' })
    expect(trigger.running('penguins')).toBe(false)
    const outcomes = reported.map(([job, decision]) => [decision.windows, job.status])
    expect(outcomes).toHaveLength(2)
    expect(outcomes).toEqual(
      expect.arrayContaining([
        [[windowId('penguins', 0), windowId('penguins', 1)], 'completed'],
        [[windowId('resnet', 0), windowId('resnet', 1)], 'failed'],
      ]),
    )

    // The model is free again: the next decision trains the next version.
    drift('penguins', 4)
    expect(await drift('penguins', 5)).toMatchObject({ details: { version: '3' } })
    expect((await readdir(join(modelsDir, 'penguins'))).sort()).toEqual([
      '1',
      '2',
      '3',
      'config.json',
    ])
    await trigger.close()
  })
})

describe('RetrainTrigger with SageMaker', () => {
  let servers: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()))
    servers = []
  })

  /** A trigger over a SageMaker trainer whose endpoint answers as `reply` says. */
  async function sageMakerTrigger(
    reply: (call: SageMakerCall) => SageMakerReply,
    options: Partial<RetrainTriggerOptions> = {},
  ) {
    const sagemaker = await fakeSageMaker(reply)
    servers.push(sagemaker)
    const trainer = new SageMakerTrainer({
      client: sagemaker.client,
      region: 'us-east-1',
      roleArn: 'arn:aws:iam::123456789012:role/training',
      image: 'training:1',
      captureS3Uri: 's3://captures',
      outputS3Uri: 's3://models',
    })
    return { ...triggerWith({ trainer, pollMs: 5, ...options }), calls: sagemaker.calls }
  }

  /** Creates jobs, and answers the describe calls in turn. */
  function describing(replies: (n: number) => SageMakerReply) {
    let describes = 0
    return ({ target, body }: SageMakerCall): SageMakerReply =>
      target === 'SageMaker.CreateTrainingJob'
        ? { body: { TrainingJobArn: `arn:aws:sagemaker:::training-job/${body.TrainingJobName}` } }
        : replies(describes++)
  }

  const status = (TrainingJobStatus: string): SageMakerReply => ({
    body: { TrainingJobStatus, SecondaryStatus: 'Training', CreationTime: 0 },
  })
  const serverError: SageMakerReply = { status: 500, error: 'InternalFailure', body: {} }

  it('counts a started job as running until describing it shows it ended', async () => {
    let ended = false
    const early = [serverError, status('InProgress'), serverError]
    const { trigger, reported, calls, drift } = await sageMakerTrigger(
      describing((n) => early[n] ?? status(ended ? 'Completed' : 'InProgress')),
    )
    const describes = () => calls.filter((c) => c.target === 'SageMaker.DescribeTrainingJob')
    drift('penguins', 0)
    const job = drift('penguins', 1)
    // Past the failed describe calls, which are retried, the job is still in progress.
    await vi.waitFor(() => expect(describes().length).toBeGreaterThan(early.length), {
      interval: 5,
    })
    drift('penguins', 2)
    drift('penguins', 3)
    expect(trigger.dropped).toBe(1)
    expect(trigger.running('penguins')).toBe(true)
    ended = true
    expect(await job).toMatchObject({
      status: 'completed',
      details: { sagemaker_status: 'Completed' },
    })
    expect(reported.map(([j]) => j.status)).toEqual(['started', 'completed'])
    expect(calls.filter((c) => c.target === 'SageMaker.CreateTrainingJob')).toHaveLength(1)
    expect(trigger.running('penguins')).toBe(false)
  })

  it('reports a job it can no longer describe as failed', async () => {
    const { reported, drift } = await sageMakerTrigger(describing(() => serverError))
    drift('penguins', 0)
    expect(await drift('penguins', 1)).toMatchObject({
      status: 'failed',
      details: { error: expect.stringMatching(/^lost track of the job/) },
    })
    expect(reported.map(([j]) => j.status)).toEqual(['started', 'failed'])
  })

  it('reports a job SageMaker refused as failed, and frees the model', async () => {
    const { trigger, reported, drift } = await sageMakerTrigger(() => ({
      status: 400,
      error: 'ResourceLimitExceeded',
      body: { Message: 'no instances left' },
    }))
    drift('penguins', 0)
    expect(await drift('penguins', 1)).toMatchObject({
      trainer: 'sagemaker',
      status: 'failed',
      details: { error: 'no instances left' },
    })
    expect(reported).toHaveLength(1)
    expect(trigger.running('penguins')).toBe(false)
  })

  it('stops following jobs on close, leaving them running', async () => {
    const { trigger, reported, calls, drift } = await sageMakerTrigger(
      describing(() => status('InProgress')),
    )
    drift('penguins', 0)
    const job = drift('penguins', 1)
    await vi.waitFor(() => expect(calls.length).toBeGreaterThan(1), { interval: 5 })
    await trigger.close()
    expect(await job).toMatchObject({ status: 'started' })
    const seen = calls.length
    await sleep(20)
    expect(calls).toHaveLength(seen)
    expect(reported.map(([j]) => j.status)).toEqual(['started'])
  })

  it('rejects the job when onJob fails, and frees the model', async () => {
    const { trigger, drift } = await sageMakerTrigger(
      describing(() => status('Completed')),
      {
        onJob: () => Promise.reject(new Error('store is down')),
      },
    )
    drift('penguins', 0)
    await expect(drift('penguins', 1)).rejects.toThrow('store is down')
    expect(trigger.running('penguins')).toBe(false)
  })
})
