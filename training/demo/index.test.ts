import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseModelConfig } from '../../services/inference/src/config/index.ts'
import { ModelVersion } from '../../services/inference/src/model/index.ts'
import { parseCsv } from '../datasets/index.ts'
import { ort, runModel } from '../onnx/testing.ts'
import type { Row } from '../train/index.ts'
import { buildDemoModels, DEMO_MODELS, type DemoMetrics, type DemoModelSummary } from './index.ts'
import { evaluate, trainDemoModel } from './pipeline.ts'
import { DEMO_SPECS, type DemoModelName } from './specs.ts'

let outDir: string
let summaries: DemoModelSummary[]

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'infera-demo-'))
  summaries = await buildDemoModels({ outDir })
})
afterAll(() => rm(outDir, { recursive: true, force: true }))

const read = (name: string, file: string) => readFile(join(outDir, name, file))
const readJson = async (name: string, file: string) =>
  JSON.parse((await read(name, file)).toString())

/** The rows as the model's input tensors, column by column as config.json's `features` lists. */
async function feeds(model: Uint8Array, features: Record<string, string[]>, rows: readonly Row[]) {
  const session = await ort.InferenceSession.create(model)
  const types = new Map(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : '']))
  await session.release()
  return Object.fromEntries(
    Object.entries(features).map(([input, columns]) => {
      const values = rows.flatMap((row) => columns.map((c) => row[c] as string | number))
      const tensor =
        types.get(input) === 'string'
          ? new ort.Tensor('string', values.map(String), [rows.length, columns.length])
          : new ort.Tensor('float32', Float32Array.from(values.map(Number)), [
              rows.length,
              columns.length,
            ])
      return [input, tensor]
    }),
  )
}

/** The lowest holdout score each model must reach (RMSE: the highest). */
const THRESHOLDS: Record<DemoModelName, Record<string, number>> = {
  penguins: { accuracy: 0.95, macro_f1: 0.95 },
  mpg: { r2: 0.7, rmse: 4.5 },
  weather: { accuracy: 0.75 },
}

describe('buildDemoModels', () => {
  it('summarises each model as its metrics.json', async () => {
    expect(summaries.map((s) => s.name)).toEqual([...DEMO_MODELS])
    for (const { name, ...metrics } of summaries) {
      expect(await readJson(name, '1/metrics.json')).toEqual(metrics)
    }
  })

  it.each(DEMO_MODELS)('%s: config.json and model.onnx load in the model server', async (name) => {
    const config = parseModelConfig(await readJson(name, 'config.json'))
    const spec = DEMO_SPECS[name]
    expect(config.features).toEqual(Object.fromEntries(spec.inputs.map((i) => [i.name, i.columns])))
    expect(config).toMatchObject({ task: spec.task, target: spec.target, max_batch_size: 64 })
    const model = await ModelVersion.load({
      name,
      version: '1',
      path: join(outDir, name, '1', 'model.onnx'),
      config,
    })
    try {
      expect(model.maxBatchSize).toBe(64)
      expect(model.outputs.map((o) => o.name)).toEqual([spec.output])
    } finally {
      await model.release()
    }
  })

  it.each(DEMO_MODELS)(
    '%s: onnxruntime reaches the holdout metrics in metrics.json',
    async (name) => {
      const config = await readJson(name, 'config.json')
      const metrics: DemoMetrics = await readJson(name, '1/metrics.json')
      const { holdout } = await DEMO_SPECS[name].load()
      const model = await read(name, '1/model.onnx')
      const outputs = await runModel(model, await feeds(model, config.features, holdout))
      const [output] = Object.values(outputs)
      const scores = {
        rows: output?.dims[0] ?? 0,
        cols: output?.dims[1] ?? 0,
        data: Float64Array.from(output?.data as Float32Array),
      }
      const labels: string[] | undefined =
        config.labels && Object.values<string[]>(config.labels)[0]
      const measured = evaluate(scores, holdout, config.target, labels)
      expect(metrics.rows.holdout).toBe(holdout.length)
      // float32 inference against the trainer's float64: a classifier may flip a borderline row.
      const tolerance = metrics.task === 'classification' ? 0.02 : 1e-3
      for (const [metric, value] of Object.entries(measured)) {
        const recorded = metrics.holdout[metric as keyof typeof metrics.holdout]
        expect(Math.abs(value - recorded), metric).toBeLessThanOrEqual(tolerance)
        const threshold = THRESHOLDS[name][metric]
        if (threshold === undefined) continue
        if (metric === 'rmse') expect(value).toBeLessThanOrEqual(threshold)
        else expect(value).toBeGreaterThanOrEqual(threshold)
      }
    },
  )

  it.each(DEMO_MODELS)(
    '%s: reference.csv holds the training rows with the feature and target columns',
    async (name) => {
      const config = await readJson(name, 'config.json')
      const reference = parseCsv((await read(name, '1/reference.csv')).toString())
      const { train } = await DEMO_SPECS[name].load()
      const columns = [...Object.values<string[]>(config.features).flat(), config.target]
      expect(Object.keys(reference[0] ?? {})).toEqual(columns)
      expect(reference).toEqual(
        train.map((row) => Object.fromEntries(columns.map((c) => [c, String(row[c])]))),
      )
    },
  )

  it('the penguins graph takes raw values and encodes unseen categories as zeros', async () => {
    const model = await read('penguins', '1/model.onnx')
    const { probabilities } = await runModel(model, {
      numerical: new ort.Tensor('float32', [39.1, 18.7, 181, 3750, 46.5, 14.8, 217, 5200], [2, 4]),
      categorical: new ort.Tensor('string', ['Torgersen', 'MALE', 'Atlantis', 'UNKNOWN'], [2, 2]),
    })
    const p = Array.from(probabilities?.data as Float32Array)
    expect(p[0]).toBeGreaterThan(0.9) // a typical Adelie
    expect(p[5]).toBeGreaterThan(0.9) // Gentoo proportions, on an island the model has never seen
    expect(p.slice(3).reduce((a, b) => a + b)).toBeCloseTo(1, 5)
  })

  it('trains deterministically', async () => {
    const data = await DEMO_SPECS.penguins.load()
    const build = () => trainDemoModel('penguins', DEMO_SPECS.penguins, data).onnx
    expect(build()).toEqual(build())
  })
})
