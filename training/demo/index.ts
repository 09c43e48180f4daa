import { mkdir, rename, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { toCsv } from '../datasets/index.ts'
import { type DemoMetrics, trainDemoModel } from './pipeline.ts'
import { DEMO_MODELS, DEMO_SPECS, type DemoModelName } from './specs.ts'

export type { DemoMetrics, DemoModelConfig } from './pipeline.ts'
export { DEMO_MODELS, type DemoModelName } from './specs.ts'

export type DemoModelSummary = { name: DemoModelName } & DemoMetrics

/** Where building the demo models is: which model (1-based, of `count`), and its epochs so far. */
export interface DemoProgress {
  name: DemoModelName
  index: number
  count: number
  epoch: number
  epochs: number
  /** Set once the model is trained and written. */
  done?: DemoModelSummary
}

/** Writes through a temporary file, so that a server polling the repository never reads half a file. */
async function writeAtomically(path: string, data: string | Uint8Array) {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  await writeFile(temporary, data)
  await rename(temporary, path)
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

/**
 * Trains the demo models on real data and writes them as a Triton-style model repository:
 * `outDir/<name>/config.json` and, in version 1, model.onnx, metrics.json and reference.csv (the
 * training rows, which a drift monitor compares live traffic with).
 */
export async function buildDemoModels({
  outDir,
  onProgress,
}: {
  outDir: string
  onProgress?: (progress: DemoProgress) => void
}): Promise<DemoModelSummary[]> {
  const summaries: DemoModelSummary[] = []
  for (const [i, name] of DEMO_MODELS.entries()) {
    const spec = DEMO_SPECS[name]
    const at = { name, index: i + 1, count: DEMO_MODELS.length, epochs: spec.training.epochs }
    onProgress?.({ ...at, epoch: 0 })
    const data = await spec.load()
    const model = trainDemoModel(name, spec, data, (epoch) => onProgress?.({ ...at, epoch }))
    const versionDir = join(outDir, name, '1')
    await mkdir(versionDir, { recursive: true })
    await writeAtomically(
      join(versionDir, 'reference.csv'),
      toCsv(model.referenceColumns, data.train),
    )
    await writeAtomically(join(versionDir, 'metrics.json'), json(model.metrics))
    await writeAtomically(join(versionDir, 'model.onnx'), model.onnx)
    await writeAtomically(join(outDir, name, 'config.json'), json(model.config))
    summaries.push({ name, ...model.metrics })
    onProgress?.({ ...at, epoch: at.epochs, done: summaries.at(-1) })
  }
  return summaries
}
