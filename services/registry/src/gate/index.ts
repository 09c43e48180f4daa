/**
 * The evaluation gate before production: the candidate and the production version are scored on
 * the same holdout rows, and the candidate may be worse by at most a relative margin on every
 * metric of its task.
 */
import { createHash } from 'node:crypto'
import { parseCsv } from '../../../../training/datasets/index.ts'
import { classificationMetrics, regressionMetrics } from '../../../../training/train/index.ts'
import { InferenceError } from '../../../inference/src/errors/index.ts'
import type { ModelVersion } from '../../../inference/src/model/index.ts'
import { predictRows, withModel } from './model.ts'
import type { SampleReport } from './sample.ts'

export { checkConfig, ModelCheckError, withModel } from './model.ts'
export { checkSample, type SampleReport } from './sample.ts'

export type Task = 'classification' | 'regression'

/** The metrics each task is judged on, and which way is better. */
export const GATE_METRICS: Record<Task, readonly { metric: string; better: 'higher' | 'lower' }[]> =
  {
    classification: [
      { metric: 'accuracy', better: 'higher' },
      { metric: 'macro_f1', better: 'higher' },
    ],
    regression: [
      { metric: 'rmse', better: 'lower' },
      { metric: 'mae', better: 'lower' },
    ],
  }

/** 1%: the candidate may score up to 1% (relative) worse than production on each metric. */
export const DEFAULT_MARGIN = 0.01

export interface MetricCheck {
  metric: string
  better: 'higher' | 'lower'
  candidate: number
  production: number
  /** The worst the candidate may score: production's value, moved by the margin. */
  limit: number
  passed: boolean
}

export interface GateReport {
  model: string
  candidate_version: number
  /** The version compared with; null when nothing held production. */
  production_version: number | null
  task: Task | null
  target: string | null
  margin: number
  /** The holdout set by size and digest, so that the evaluation can be repeated; null if none. */
  holdout: { rows: number; sha256: string } | null
  metrics: { candidate: Record<string, number>; production: Record<string, number> | null } | null
  checks: MetricCheck[]
  /**
   * Without a holdout, for a first version or one that declares no task: it loaded and answered a
   * sample of its shapes (and kept production's inputs and outputs). Absent from older reports.
   */
  sample?: SampleReport | null
  passed: boolean
  /** Promoted without the gate's approval (`--force`). */
  forced: boolean
  summary: string
  actor: string
}

/** A holdout set, or a model, the gate can't score: the problem is named. */
export class GateInputError extends Error {}

export interface GateVersion {
  version: number
  config: Record<string, unknown>
  metrics: Record<string, unknown> | null
  onnx: Uint8Array
}

export interface GateInput {
  model: string
  candidate: GateVersion
  production?: GateVersion
  holdoutCsv: string
  margin: number
  actor: string
}

const isTask = (value: unknown): value is Task =>
  value === 'classification' || value === 'regression'

/** Whether a version says what it predicts, so that a holdout can score it. */
export const declaresTask = (v: Pick<GateVersion, 'config' | 'metrics'>) =>
  isTask(v.config.task ?? v.metrics?.task)

/** The task and target a version declares, in config.json or else in metrics.json. */
function declared(v: GateVersion, model: string) {
  const task = v.config.task ?? v.metrics?.task
  const target = v.config.target ?? v.metrics?.target
  if (!isTask(task) || typeof target !== 'string') {
    throw new GateInputError(
      `version ${v.version} of ${model} declares no task (classification or regression) and ` +
        'target column in config.json or metrics.json: the gate needs both to score it',
    )
  }
  return { task, target }
}

/** Scores the candidate, and production if there is one, on the holdout rows and judges it. */
export async function evaluateGate(input: GateInput): Promise<GateReport> {
  const { model, candidate, production, margin } = input
  if (!(margin >= 0 && margin < 1))
    throw new GateInputError(`margin must be in [0, 1), not ${margin}`)
  const { task, target } = declared(candidate, model)
  if (production) {
    const other = declared(production, model)
    if (other.task !== task || other.target !== target) {
      throw new GateInputError(
        `version ${candidate.version} predicts ${target} (${task}), production version ` +
          `${production.version} ${other.target} (${other.task}): they can't be compared`,
      )
    }
  }
  const records = readHoldout(input.holdoutCsv, target)
  const actual = records.map((r, i) => targetValue(task, r, target, i))
  const scoreOf = (v: GateVersion) =>
    withModel({ name: model, ...v }, async (loaded) => {
      const rows = toRows(loaded, records)
      const predictions = await predictRows(loaded, rows).catch((error: Error) => {
        // The inference service's 400s name the row and the input at fault.
        if (!(error instanceof InferenceError)) throw error
        throw new GateInputError(`version ${v.version} can't score the holdout: ${error.message}`)
      })
      return score(task, actual, checkPredictions(task, loaded, predictions))
    })
  const candidateMetrics = await scoreOf(candidate)
  const productionMetrics = production ? await scoreOf(production) : null
  const checks = productionMetrics
    ? GATE_METRICS[task].map(({ metric, better }) =>
        check(
          metric,
          better,
          candidateMetrics[metric] as number,
          productionMetrics[metric] as number,
          margin,
        ),
      )
    : []
  const passed = checks.every((c) => c.passed)
  return {
    model,
    candidate_version: candidate.version,
    production_version: production?.version ?? null,
    task,
    target,
    margin,
    holdout: {
      rows: records.length,
      sha256: createHash('sha256').update(input.holdoutCsv).digest('hex'),
    },
    metrics: { candidate: candidateMetrics, production: productionMetrics },
    checks,
    passed,
    forced: false,
    summary: summarize(candidate.version, production?.version, margin, checks),
    actor: input.actor,
  }
}

function readHoldout(csv: string, target: string) {
  let records: Record<string, string>[]
  try {
    records = parseCsv(csv)
  } catch (error) {
    throw new GateInputError(`the holdout CSV does not parse: ${(error as Error).message}`)
  }
  if (records.length === 0) throw new GateInputError('the holdout CSV has no rows')
  if ((records[0] as Record<string, string>)[target] === undefined) {
    throw new GateInputError(`the holdout CSV has no column '${target}', the target`)
  }
  return records
}

// +2: the header is line 1 and records count from 0.
const line = (i: number) => `holdout line ${i + 2}`

function number(text: string, column: string, i: number): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new GateInputError(`${line(i)}: '${column}' is '${text}', not a number`)
  }
  return value
}

function targetValue(task: Task, record: Record<string, string>, target: string, i: number) {
  const text = record[target] as string
  if (task === 'regression') return number(text, target, i)
  if (text === '') throw new GateInputError(`${line(i)}: the target '${target}' is empty`)
  return text
}

/** Holdout records as the model's KServe V1 instances: each input's columns, typed for it. */
function toRows(model: ModelVersion, records: readonly Record<string, string>[]) {
  const columns = model.inputs.flatMap((spec) => {
    const names = model.config.features[spec.name]
    if (!names) {
      throw new GateInputError(
        `config.json of version ${model.version} names no features for input '${spec.name}': ` +
          'the gate reads each input from the holdout columns its features name',
      )
    }
    return names.map((name) => ({ name, text: spec.datatype === 'BYTES' }))
  })
  for (const { name } of columns) {
    if ((records[0] as Record<string, string>)[name] === undefined) {
      throw new GateInputError(
        `the holdout CSV has no column '${name}', a feature of version ${model.version}`,
      )
    }
  }
  return records.map((record, i) =>
    Object.fromEntries(
      columns.map(({ name, text }) => [
        name,
        text ? record[name] : number(record[name] as string, name, i),
      ]),
    ),
  )
}

function checkPredictions(task: Task, model: ModelVersion, predictions: unknown[]) {
  const kind = task === 'classification' ? 'string' : 'number'
  if (!predictions.every((p) => typeof p === kind)) {
    throw new GateInputError(
      task === 'classification'
        ? `version ${model.version} does not predict class labels: config.json needs labels for its output`
        : `version ${model.version} does not predict one number per row`,
    )
  }
  return predictions as (string | number)[]
}

function score(
  task: Task,
  actual: (string | number)[],
  predicted: (string | number)[],
): Record<string, number> {
  if (task === 'regression') {
    return { ...regressionMetrics(actual as number[], predicted as number[]) }
  }
  const ids = new Map<string | number, number>()
  const id = (label: string | number) => {
    if (!ids.has(label)) ids.set(label, ids.size)
    return ids.get(label) as number
  }
  return { ...classificationMetrics(actual.map(id), predicted.map(id)) }
}

function check(
  metric: string,
  better: 'higher' | 'lower',
  candidate: number,
  production: number,
  margin: number,
): MetricCheck {
  // Relative, so that one margin means the same for accuracy and for an error in any unit.
  const limit = better === 'higher' ? production * (1 - margin) : production * (1 + margin)
  const passed = better === 'higher' ? candidate >= limit : candidate <= limit
  return { metric, better, candidate, production, limit, passed }
}

const round = (n: number) => Number(n.toPrecision(4))

function summarize(
  candidate: number,
  production: number | undefined,
  margin: number,
  checks: MetricCheck[],
) {
  if (production === undefined) return `no production version to compare version ${candidate} with`
  const percent = `${round(margin * 100)}%`
  const failed = checks.filter((c) => !c.passed)
  if (failed.length === 0) {
    return `version ${candidate} is within ${percent} of production version ${production} on ${checks.map((c) => c.metric).join(', ')}`
  }
  const why = failed.map(
    (c) =>
      `${c.metric} ${round(c.candidate)} ${c.better === 'higher' ? '<' : '>'} ${round(c.limit)} (production ${round(c.production)})`,
  )
  return `version ${candidate} is worse than production version ${production} by more than ${percent}: ${why.join('; ')}`
}
