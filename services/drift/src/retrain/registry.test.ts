import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Penguin, parseCsv } from '../../../../training/datasets/index.ts'
import { buildDemoModels } from '../../../../training/demo/index.ts'
import { openRegistry, type Registry } from '../../../registry/src/index.ts'
import { tempDir } from '../../../registry/src/testing/index.ts'
import { registerDemoVariant, registerDemoVersion } from '../testing/index.ts'
import { LocalTrainer } from './index.ts'
import { accuracy, kilogramPenguins, predictSpecies, writePenguinCaptures } from './testing.ts'

const dir = tempDir('infera-retrain-registry-')
const modelsDir = join(dir, 'models')
const captureDir = join(dir, 'captures')
let registry: Registry
let labels: string[]
let captured: Penguin[]
let unseen: Penguin[]
let served: string[]

const request = (model: string, version = '1') => ({
  model,
  version,
  windows: [`${model}:${version}:w1`, `${model}:${version}:w2`],
  reason: 'bodies weighed in kilograms',
})

/** Where a registered version's model.onnx is written to be run. */
async function downloadModel(version: number) {
  const path = join(dir, `penguins-${version}.onnx`)
  await writeFile(path, await registry.file('penguins', version, 'model.onnx'))
  return path
}

beforeAll(async () => {
  await buildDemoModels({ outDir: modelsDir })
  registry = await openRegistry({ dir: join(dir, 'artifacts') })
  await registerDemoVersion(registry, modelsDir)
  const { config } = await registry.version('penguins', 1)
  labels = (config.labels as Record<string, string[]>).probabilities as string[]
  const penguins = await kilogramPenguins()
  captured = penguins.captured
  unseen = penguins.unseen
  served = await predictSpecies(await downloadModel(1), labels, captured)
  await writePenguinCaptures(captureDir, '1', captured, served, 100)
})
afterAll(() => registry.close())

describe('LocalTrainer on the model registry', () => {
  it('says why it fails, and registers nothing', async () => {
    await registerDemoVariant(registry, modelsDir, () => undefined, 'mpg')
    const trainer = new LocalTrainer({ registry, captureDir })
    expect(await trainer.start(request('penguins', '7'))).toMatchObject({
      status: 'failed',
      details: { error: 'no version 7 of penguins' },
    })
    expect(await trainer.start(request('mpg'))).toMatchObject({
      status: 'failed',
      details: { error: expect.stringMatching(/^version 1 of mpg has no file 'reference.csv'/) },
    })
    expect((await registry.show('penguins')).versions).toHaveLength(1)
    expect(
      () => new LocalTrainer({ registry, captureDir, promotion: { canaryWeight: 100 } }),
    ).toThrow(/the canary weight is a percentage above 0 and below 100, not 100/)
  })

  it('registers the retrained version as a candidate, with its metrics and lineage', async () => {
    const job = await new LocalTrainer({ registry, captureDir }).start(request('penguins'))
    expect(job).toMatchObject({
      trainer: 'local',
      status: 'completed',
      details: {
        version: '2',
        from_version: '1',
        stage: 'candidate',
        gate: 'skipped',
        promoted: false,
        not_promoted: 'no promotion configured',
        rows: { reference: 266, captured: 100, skipped: 0, train: 346, holdout: 20 },
      },
    })
    const { version } = JSON.parse(
      await readFile(new URL('../../../../package.json', import.meta.url), 'utf8'),
    )
    const serving = await registry.version('penguins', 1)
    const candidate = await registry.version('penguins', 2)
    expect(candidate).toMatchObject({
      stage: 'candidate',
      aliases: [],
      created_by: 'drift-retrain',
      config: serving.config,
      metrics: { task: 'classification', target: 'species', rows: { train: 346, holdout: 20 } },
      lineage: {
        data_location: pathToFileURL(join(captureDir, 'penguins', '1')).href,
        code_version: expect.stringMatching(
          new RegExp(`^${version.replaceAll('.', '\\.')}(\\+[0-9a-f]+)?$`),
        ),
        training_job: job.id,
      },
    })
    const model = await registry.show('penguins')
    expect(model.aliases.production?.version).toBe(1)
    expect(model.audit.at(-1)).toMatchObject({
      action: 'register',
      version: 2,
      actor: 'drift-retrain',
      reason: 'bodies weighed in kilograms',
    })
    const reference = new TextDecoder().decode(await registry.file('penguins', 2, 'reference.csv'))
    expect(parseCsv(reference)).toHaveLength(346)
    // The registered model learnt what serving got wrong.
    expect(accuracy(served, captured)).toBeLessThan(0.8)
    const retrained = await predictSpecies(await downloadModel(2), labels, unseen)
    expect(accuracy(retrained, unseen)).toBeGreaterThan(0.95)
  })

  it('puts a candidate the evaluation gate passes into the canary at the weight', async () => {
    const trainer = new LocalTrainer({ registry, captureDir, promotion: { canaryWeight: 10 } })
    const job = await trainer.start(request('penguins'))
    expect(job).toMatchObject({
      status: 'completed',
      details: {
        version: '3',
        stage: 'candidate',
        gate: 'passed',
        gate_summary: expect.any(String),
        promoted: true,
        canary_weight: 10,
      },
    })
    const model = await registry.show('penguins')
    expect(model.aliases).toMatchObject({
      production: { version: 1 },
      canary: { version: 3, weight: 10 },
    })
    const [report] = (await registry.version('penguins', 3)).gate_reports
    expect(report).toMatchObject({
      passed: true,
      report: { production_version: 1, holdout: { rows: 20 }, actor: 'drift-retrain' },
    })
  })

  it('keeps a candidate the gate refuses as a candidate, and says why', async () => {
    // Version 4 is the demo model registered with mislabelled training rows: retraining on them
    // makes a model worse than production on production's own training data.
    await registerDemoVariant(registry, modelsDir, (rows) =>
      rows.map((row) => ({
        ...row,
        species: labels[(labels.indexOf(row.species as string) + 1) % labels.length] as string,
      })),
    )
    const grams = captured.map((p) => ({ ...p, body_mass_g: p.body_mass_g * 1000 }))
    await writePenguinCaptures(
      captureDir,
      '4',
      grams,
      grams.map((p) => p.species),
      100,
    )

    const trainer = new LocalTrainer({ registry, captureDir, promotion: { canaryWeight: 10 } })
    const job = await trainer.start(request('penguins', '4'))
    expect(job).toMatchObject({
      status: 'completed',
      details: {
        version: '5',
        from_version: '4',
        stage: 'candidate',
        gate: 'refused',
        reference_gate_summary: expect.stringMatching(/^version 5 .*production version 1/),
        promoted: false,
        not_promoted: expect.stringMatching(/^the gate on production's training data refused: /),
      },
    })
    const model = await registry.show('penguins')
    expect(model.aliases).toMatchObject({ production: { version: 1 }, canary: { version: 3 } })
    expect(model.versions.find((v) => v.version === 5)?.stage).toBe('candidate')
  })

  it('refuses a candidate retrained on poisoned labels that a holdout of the same captures passes', async () => {
    // Someone labelled the served penguins as the next species: the captured holdout is poisoned
    // alike, so production scores badly on it and the retrained model well. Production's
    // training data in the registry, which no labeller can write, tells them apart.
    const poisonDir = join(dir, 'poisoned')
    const grams = captured.map((p) => ({ ...p, body_mass_g: p.body_mass_g * 1000 }))
    // Sent four times over: enough labelled rows to outweigh the training data.
    const served = [...grams, ...grams, ...grams, ...grams]
    const poisoned = served.map((p) => ({
      ...p,
      species: labels[(labels.indexOf(p.species) + 1) % labels.length] as string,
    }))
    await writePenguinCaptures(
      poisonDir,
      '1',
      poisoned,
      served.map((p) => p.species),
      poisoned.length,
    )
    const trainer = new LocalTrainer({
      registry,
      captureDir: poisonDir,
      promotion: { canaryWeight: 10 },
    })
    const job = await trainer.start(request('penguins'))
    expect(job).toMatchObject({
      status: 'completed',
      details: {
        version: '6',
        gate: 'refused',
        promoted: false,
        not_promoted: expect.stringMatching(/^the gate on production's training data refused: /),
      },
    })
    // What the captured holdout alone would have said: the poisoned model is "better".
    const details = job.details as { holdout_metrics: { accuracy: number } }
    const servingOnHoldout = (job.details as { serving_holdout_metrics: { accuracy: number } })
      .serving_holdout_metrics
    expect(details.holdout_metrics.accuracy).toBeGreaterThan(servingOnHoldout.accuracy)
    expect((await registry.show('penguins')).aliases.canary?.version).toBe(3)
  })
})
