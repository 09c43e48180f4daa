import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { isDeepStrictEqual } from 'node:util'
import { parseCsv, toCsv } from '../../../../training/datasets/index.ts'
import { DEMO_MODELS, type DemoModelName } from '../../../../training/demo/index.ts'
import { trainDemoModel } from '../../../../training/demo/pipeline.ts'
import { DEMO_SPECS, type DemoSpec } from '../../../../training/demo/specs.ts'
import {
  classificationMetrics,
  holdoutSplit,
  type Row,
  regressionMetrics,
} from '../../../../training/train/index.ts'
import type { ModelRegistry } from '../../../registry/src/types.ts'
import { FolderVersions } from './folder.ts'
import { type PromotionOptions, RegistryVersions } from './registry.ts'
import { type Trainer, type TrainingJob, type TrainingRequest, trainingJobName } from './trainer.ts'
import { type ModelVersions, RetrainInputError, type VersionInputs } from './versions.ts'

/** Where the versions the local trainer retrains live: a model repository folder or the registry. */
export type LocalTrainerVersions =
  | {
      /** The model repository the model server polls: `<model>/<version>/model.onnx`. */
      modelsDir: string
    }
  | {
      /** Retrains registered versions and registers the new one as a candidate. */
      registry: ModelRegistry
      /** Puts the candidate through the evaluation gate into the canary; not without it. */
      promotion?: PromotionOptions
    }

export type LocalTrainerOptions = LocalTrainerVersions & {
  /** Where the model server captures predictions: `<model>/<version>/<day>.jsonl`. */
  captureDir: string
  /** The fewest labelled captured rows worth a new version. Default 20. */
  minLabelledRows?: number
}

/** A labelled captured row, with what the serving version predicted for it. */
interface Captured {
  row: Row
  prediction: unknown
}

const HOLDOUT_FRACTION = 0.2

const isDemoModel = (name: string): name is DemoModelName =>
  (DEMO_MODELS as readonly string[]).includes(name)

/**
 * Retrains a demo model in process: on the serving version's training rows (its reference.csv)
 * plus the captured rows of that version that got a label, holding out a share of the labelled
 * rows to score the new model and the serving one on the same recent data. With `modelsDir`, it
 * writes the next version folder, which appears whole: a polling model server picks it up complete
 * or not at all. With `registry`, it reads the version from the registry and registers the new one
 * as a candidate (see RegistryVersions).
 */
export class LocalTrainer implements Trainer {
  readonly name = 'local'
  readonly #captureDir: string
  readonly #minLabelledRows: number
  readonly #versions: ModelVersions

  constructor(options: LocalTrainerOptions) {
    this.#captureDir = options.captureDir
    this.#minLabelledRows = options.minLabelledRows ?? 20
    this.#versions =
      'registry' in options
        ? new RegistryVersions(options.registry, options.promotion)
        : new FolderVersions(options.modelsDir)
  }

  async start(request: TrainingRequest): Promise<TrainingJob> {
    const { model, version } = request
    const job = { id: trainingJobName(request), trainer: this.name }
    const failed = (error: string): TrainingJob => ({
      ...job,
      status: 'failed',
      details: { error },
    })
    if (!isDemoModel(model)) {
      return failed(
        `'${model}' is not a demo model; the local trainer retrains ${DEMO_MODELS.join(', ')}`,
      )
    }
    const spec = DEMO_SPECS[model]

    let inputs: VersionInputs
    try {
      inputs = await this.#versions.read(model, version)
    } catch (error) {
      if (error instanceof RetrainInputError) return failed(error.message)
      throw error
    }
    const config = inputs.config as {
      features?: unknown
      labels?: Record<string, unknown>
    }
    const labels = config.labels?.[spec.output] as string[] | undefined
    if (spec.task === 'classification' && !Array.isArray(labels)) {
      return failed(`${model}'s config.json has no labels for output '${spec.output}'`)
    }
    const toRow = rowReader(spec, labels)

    const reference: Row[] = []
    for (const [i, record] of parseCsv(inputs.referenceCsv).entries()) {
      const row = toRow(record, record[spec.target])
      // +2: the header is line 1 and records count from 0.
      if (!row) return failed(`line ${i + 2} of version ${version}'s reference.csv is not valid`)
      reference.push(row)
    }
    const capturesDir = join(this.#captureDir, model, version)
    const { captured, skipped } = await readLabelledCaptures(capturesDir, toRow)
    if (captured.length < this.#minLabelledRows) {
      return failed(
        `${captured.length} labelled rows captured for ${model} version ${version}, ` +
          `fewer than the ${this.#minLabelledRows} a new version needs`,
      )
    }

    const split = holdoutSplit(captured, HOLDOUT_FRACTION, spec.training.seed)
    const train = [...reference, ...split.train.map((c) => c.row)]
    const holdout = split.holdout.map((c) => c.row)
    const trained = trainDemoModel(model, spec, { train, holdout })
    // The new version shares config.json with the versions serving: it must read the same
    // features and name the same classes.
    const contract = { features: trained.config.features, labels: trained.config.labels ?? {} }
    if (!isDeepStrictEqual(contract, { features: config.features, labels: config.labels ?? {} })) {
      return failed(
        `the retrained ${model} no longer matches its config.json's features and classes`,
      )
    }

    const published = await this.#versions.publish({
      request,
      jobId: job.id,
      config: inputs.config,
      onnx: trained.onnx,
      metrics: trained.metrics,
      referenceCsv: toCsv(trained.referenceColumns, train),
      holdoutCsv: toCsv(trained.referenceColumns, holdout),
      capturesDir,
    })
    return {
      ...job,
      status: 'completed',
      details: {
        ...published,
        from_version: version,
        rows: {
          reference: reference.length,
          captured: captured.length,
          skipped,
          train: train.length,
          holdout: split.holdout.length,
        },
        holdout_metrics: trained.metrics.holdout,
        serving_holdout_metrics: servingMetrics(spec, labels, split.holdout),
      },
    }
  }
}

const number = (value: unknown) =>
  typeof value === 'number' || (typeof value === 'string' && value.trim() !== '')
    ? Number(value)
    : Number.NaN

const text = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : ''

/**
 * Reads a training row from named feature values and a target, typed as the spec's inputs say;
 * undefined when a value is missing or unusable, or the label is not one of the model's classes.
 */
function rowReader(spec: DemoSpec, labels: readonly string[] | undefined) {
  return (values: Record<string, unknown>, target: unknown): Row | undefined => {
    const row: Record<string, string | number> = {}
    for (const input of spec.inputs) {
      for (const column of input.columns) {
        const value = input.kind === 'numerical' ? number(values[column]) : text(values[column])
        if (value === '' || (typeof value === 'number' && !Number.isFinite(value))) return
        row[column] = value
      }
    }
    const label = labels ? text(target) : number(target)
    if (labels ? !labels.includes(label as string) : !Number.isFinite(label)) return
    row[spec.target] = label
    return row
  }
}

/**
 * The captured rows that carry a label, read line by line from every day file. Lines that don't
 * parse (a row being appended) and labelled rows that can't be used are counted as skipped.
 */
async function readLabelledCaptures(
  dir: string,
  toRow: ReturnType<typeof rowReader>,
): Promise<{ captured: Captured[]; skipped: number }> {
  const files = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  const captured: (Captured & { id: string })[] = []
  let skipped = 0
  for (const file of files.filter((f) => f.endsWith('.jsonl')).sort()) {
    const lines = createInterface({ input: createReadStream(join(dir, file)), crlfDelay: Infinity })
    for await (const line of lines) {
      if (line.trim() === '') continue
      let parsed: {
        request_id?: unknown
        features?: Record<string, unknown>
        label?: unknown
        prediction?: unknown
      }
      try {
        parsed = JSON.parse(line)
      } catch {
        skipped++
        continue
      }
      if (parsed.label === undefined || parsed.label === null) continue
      const row = toRow(parsed.features ?? {}, parsed.label)
      if (row)
        captured.push({ id: String(parsed.request_id ?? ''), row, prediction: parsed.prediction })
      else skipped++
    }
  }
  // Rows land in the files in the order requests finished; in request-id order, retraining on the
  // same rows gives the same model.
  captured.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return { captured, skipped }
}

/**
 * How the serving version did on the holdout rows, from the predictions it made when they were
 * captured; undefined when a row lacks a usable prediction.
 */
function servingMetrics(spec: DemoSpec, labels: readonly string[] | undefined, rows: Captured[]) {
  if (rows.length === 0) return undefined
  if (labels) {
    const predicted = rows.map((c) => labels.indexOf(text(c.prediction)))
    if (predicted.includes(-1)) return undefined
    return classificationMetrics(
      rows.map((c) => labels.indexOf(c.row[spec.target] as string)),
      predicted,
    )
  }
  const predicted = rows.map((c) => number(c.prediction))
  if (!predicted.every(Number.isFinite)) return undefined
  return regressionMetrics(
    rows.map((c) => c.row[spec.target] as number),
    predicted,
  )
}
