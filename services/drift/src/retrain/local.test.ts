import { existsSync, readdirSync } from 'node:fs'
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Penguin, parseCsv } from '../../../../training/datasets/index.ts'
import { buildDemoModels } from '../../../../training/demo/index.ts'
import { createInferenceMetrics } from '../../../inference/src/metrics/index.ts'
import { ModelRepository } from '../../../inference/src/repository/index.ts'
import { PENGUIN_FEATURES } from '../testing/index.ts'
import { LocalTrainer } from './index.ts'
import { accuracy, kilogramPenguins, predictSpecies, writePenguinCaptures } from './testing.ts'

let dir: string
let modelsDir: string
let captureDir: string
let labels: string[]
let unseen: Penguin[]

const request = (model: string, version = '1') => ({
  model,
  version,
  windows: [`${model}:${version}:w1`, `${model}:${version}:w2`],
  reason: 'test',
})
const penguinsDir = () => join(modelsDir, 'penguins')
const servingPath = () => join(penguinsDir(), '1', 'model.onnx')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'infera-retrain-'))
  modelsDir = join(dir, 'models')
  captureDir = join(dir, 'captures')
  await buildDemoModels({ outDir: modelsDir })
  const config = JSON.parse(await readFile(join(penguinsDir(), 'config.json'), 'utf8'))
  labels = config.labels.probabilities
  const penguins = await kilogramPenguins()
  unseen = penguins.unseen
  const { captured } = penguins
  // 100 of the 166 captured rows got their label; then three lines the trainer must skip.
  const served = await predictSpecies(servingPath(), labels, captured)
  await writePenguinCaptures(captureDir, '1', captured, served, 100)
  const unusable = [
    { features: { ...captured[0], island: undefined }, label: 'Adelie' },
    { features: captured[0], label: 'Emperor' },
  ]
  await appendFile(
    join(captureDir, 'penguins', '1', '2026-03-02.jsonl'),
    `${unusable.map((row) => JSON.stringify(row)).join('\n')}\n{"ts":"20`,
  )
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('LocalTrainer', () => {
  it('says why it fails: not a demo model, no such version, too few labelled rows', async () => {
    const trainer = new LocalTrainer({ modelsDir, captureDir: join(dir, 'nothing-captured') })
    expect(await trainer.start(request('resnet'))).toMatchObject({
      trainer: 'local',
      status: 'failed',
      details: { error: expect.stringMatching(/'resnet' is not a demo model/) },
    })
    expect(await trainer.start(request('penguins', '7'))).toMatchObject({
      status: 'failed',
      details: { error: 'version 7 of penguins has no reference.csv' },
    })
    expect(await trainer.start(request('penguins'))).toMatchObject({
      status: 'failed',
      details: { error: expect.stringMatching(/^0 labelled rows captured for penguins version 1/) },
    })
    expect(readdirSync(penguinsDir()).sort()).toEqual(['1', 'config.json'])
  })

  it('writes no version that would not match the classes config.json names', async () => {
    const otherModels = join(dir, 'other-models')
    await cp(penguinsDir(), join(otherModels, 'penguins'), { recursive: true })
    const configPath = join(otherModels, 'penguins', 'config.json')
    const config = JSON.parse(await readFile(configPath, 'utf8'))
    config.labels.probabilities.push('Emperor')
    await writeFile(configPath, JSON.stringify(config))
    const job = await new LocalTrainer({ modelsDir: otherModels, captureDir }).start(
      request('penguins'),
    )
    expect(job).toMatchObject({
      status: 'failed',
      details: {
        error: "the retrained penguins no longer matches its config.json's features and classes",
      },
    })
    expect((await readdir(join(otherModels, 'penguins'))).sort()).toEqual(['1', 'config.json'])
  })

  it('retrains on the reference and the labelled captures into a version the server loads', async () => {
    // What a polling model server sees of version 2 while the trainer writes it.
    const seen: string[][] = []
    let watching = true
    const watch = () => {
      if (existsSync(join(penguinsDir(), '2'))) seen.push(readdirSync(join(penguinsDir(), '2')))
      if (watching) setImmediate(watch)
    }
    watch()
    const repository = new ModelRepository({
      dir: modelsDir,
      metrics: createInferenceMetrics({ processMetrics: false }),
      logger: pino({ level: 'silent' }),
    })
    await repository.loadAll()
    const job = await new LocalTrainer({ modelsDir, captureDir }).start(request('penguins'))
    watching = false

    expect(job).toMatchObject({
      status: 'completed',
      details: {
        version: '2',
        from_version: '1',
        rows: { reference: 266, captured: 100, skipped: 3, train: 346, holdout: 20 },
      },
    })
    const { holdout_metrics, serving_holdout_metrics } = job.details as Record<
      string,
      { accuracy: number }
    >
    // On the same held-out captures: the serving model misreads kilograms, the new one learnt them.
    expect(holdout_metrics?.accuracy).toBeGreaterThanOrEqual(0.95)
    expect(serving_holdout_metrics?.accuracy).toBeLessThanOrEqual(
      (holdout_metrics?.accuracy as number) - 0.15,
    )

    expect(seen.length).toBeGreaterThan(0)
    for (const files of seen) {
      expect(files.sort()).toEqual(['metrics.json', 'model.onnx', 'reference.csv'])
    }
    expect((await readdir(penguinsDir())).sort()).toEqual(['1', '2', 'config.json'])
    const reference = parseCsv(await readFile(join(penguinsDir(), '2', 'reference.csv'), 'utf8'))
    expect(reference).toHaveLength(346)
    expect(Object.keys(reference[0] ?? {})).toEqual([...PENGUIN_FEATURES, 'species'])
    const metrics = JSON.parse(await readFile(join(penguinsDir(), '2', 'metrics.json'), 'utf8'))
    expect(metrics).toMatchObject({ target: 'species', rows: { train: 346, holdout: 20 } })

    // Polling loads a new version once its files are the same on two polls in a row.
    await repository.poll()
    await repository.poll()
    expect(repository.index().filter((v) => v.name === 'penguins')).toMatchObject([
      { version: '2', state: 'READY' },
    ])
    await repository.close()

    const newPath = join(penguinsDir(), '2', 'model.onnx')
    expect(accuracy(await predictSpecies(servingPath(), labels, unseen), unseen)).toBeLessThan(0.8)
    expect(accuracy(await predictSpecies(newPath, labels, unseen), unseen)).toBeGreaterThan(0.95)
    // Penguins weighed in grams, as the demo model's holdout was, are still recognised.
    const grams = unseen.map((p) => ({ ...p, body_mass_g: p.body_mass_g * 1000 }))
    expect(accuracy(await predictSpecies(newPath, labels, grams), grams)).toBeGreaterThan(0.95)
  })
})
