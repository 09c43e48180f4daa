import { appendFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { DriftInputError, type DriftOptions } from '../detect/index.ts'
import type { DriftEvaluation } from '../evaluation/index.ts'
import { type IngestRow, normalizeRecords, parseBatch, type Rejection } from '../ingest/index.ts'
import { type DriftMetrics, recordEvaluation } from '../metrics/index.ts'
import { ModelMonitor } from '../monitor/index.ts'
import type { ReferenceSource } from '../references/index.ts'
import {
  candidateGate,
  type RetrainDecision,
  RetrainPolicy,
  type RetrainPolicyOptions,
  RetrainTrigger,
  type Trainer,
  type TrainingJob,
} from '../retrain/index.ts'
import type { DriftStore } from '../store/index.ts'
import type { WindowOptions, WindowSnapshot } from '../window/index.ts'

export interface DriftServiceOptions {
  references: ReferenceSource
  store: DriftStore
  metrics: DriftMetrics
  logger: Logger
  window: WindowOptions
  drift?: DriftOptions
  /** The sketch-based KS for numerical features (see MonitorOptions). */
  sketchKs?: boolean
  /** Starts retraining when drift persists (see RetrainPolicy); none by default. */
  trainer?: Trainer
  retrain?: RetrainPolicyOptions
  /** Where labelled rows are appended as JSONL, for retraining on ground truth. */
  labelledDir?: string
}

export interface IngestResult {
  accepted: number
  rejected: Rejection[]
}

/** A request the service refuses as a whole; `status` is the HTTP status it maps to. */
export class DriftRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422,
    message: string,
    readonly details?: object,
  ) {
    super(message)
  }
}

/**
 * The drift service: a monitor per model version, fed by ingested batches. Completed windows are
 * evaluated in order, one model at a time, off the ingest path; each evaluation is stored,
 * published as metrics, and shown to the retraining trigger.
 */
export class DriftService {
  readonly #monitors = new Map<string, Promise<ModelMonitor | undefined>>()
  readonly #latestVersion = new Map<string, string>()
  readonly #queues = new Map<string, Promise<unknown>>()
  /** Training jobs the trigger started and still follows. */
  readonly #jobs = new Set<Promise<unknown>>()
  readonly #recordedJobs = new Set<string>()
  readonly #policy: RetrainPolicy
  readonly #trigger: RetrainTrigger | undefined
  readonly #ticker: NodeJS.Timeout | undefined

  constructor(readonly options: DriftServiceOptions) {
    const { window } = options
    // Time windows close on the clock too, so a quiet stream still gets its windows evaluated.
    if (window.kind === 'time') {
      this.#ticker = setInterval(
        () => void this.tick(),
        Math.min(window.slide ?? window.size, 10_000),
      )
      this.#ticker.unref()
    }
    this.#policy = new RetrainPolicy(options.retrain)
    this.#trigger = options.trainer
      ? new RetrainTrigger({
          policy: this.#policy,
          trainer: options.trainer,
          onJob: (job, decision) => this.#recordJob(job, decision),
        })
      : undefined
  }

  /** The monitored models with their versions and window fill. */
  async models() {
    return (await this.#loadedMonitors()).map((m) => ({
      model: m.model,
      version: m.version,
      reference_rows: m.reference.profile.rows,
      features: Object.keys(m.reference.profile.columns),
      rows_seen: m.windows.rowsSeen,
      window_fill: m.windows.fill(),
    }))
  }

  /**
   * Ingests a batch (JSON array or NDJSON text). Bad records are refused with their index and
   * reason; with `partial`, the good records of the batch are kept, otherwise none are.
   */
  async ingest(model: string, body: string, { partial = false } = {}): Promise<IngestResult> {
    const { records, rejected: unreadable } = parseBatch(body)
    if (!Array.isArray(records))
      throw new DriftRequestError(400, 'the body must be a JSON array or NDJSON')
    const { rows, rejected: invalid } = normalizeRecords(model, records, Date.now())
    const rejected = [...unreadable, ...invalid].sort((a, b) => a.index - b.index)
    const { metrics } = this.options
    if (rejected.length > 0)
      metrics.recordsRejected.inc({ model, reason: 'invalid' }, rejected.length)
    if (rejected.length > 0 && !partial) {
      throw new DriftRequestError(
        400,
        `${rejected.length} record(s) are invalid; none were ingested`,
        { rejected },
      )
    }
    const byVersion = new Map<string | undefined, IngestRow[]>()
    for (const row of rows) {
      const rowsOfVersion = byVersion.get(row.version) ?? []
      rowsOfVersion.push(row)
      byVersion.set(row.version, rowsOfVersion)
    }
    for (const [version, versionRows] of byVersion) {
      const monitor = await this.#monitor(model, version)
      if (!monitor) {
        throw new DriftRequestError(
          404,
          `no reference for model '${model}'${version ? ` version ${version}` : ''}`,
        )
      }
      const completed = monitor.ingest(versionRows)
      metrics.rowsIngested.inc({ model }, versionRows.length)
      metrics.windowFill.set({ model }, monitor.windows.fill())
      for (const snapshot of completed)
        this.#enqueue(model, () => this.#evaluate(monitor, snapshot, 'window'))
    }
    return { accepted: rows.length, rejected }
  }

  /** Ground truth for earlier predictions, `[{request_id, label}]`, joined by request id. */
  async label(model: string, body: string) {
    const { records } = parseBatch(body)
    // A label may answer any served version's prediction: production's and a canary's alike.
    const monitors = (await this.#loadedMonitors()).filter((m) => m.model === model)
    if (monitors.length === 0) {
      const monitor = await this.#monitor(model, undefined)
      if (!monitor) throw new DriftRequestError(404, `no reference for model '${model}'`)
      monitors.push(monitor)
    }
    let matched = 0
    const rejected: Rejection[] = []
    const labelled = new Map<string, object[]>()
    records.forEach((record, index) => {
      const { request_id: id, label } = (record ?? {}) as Record<string, unknown>
      if (typeof id !== 'string' || label === undefined) {
        rejected.push({ index, error: 'a label record is {"request_id": string, "label": value}' })
        return
      }
      let pair: ReturnType<ModelMonitor['label']>
      for (const monitor of monitors) pair ??= monitor.label(id, label)
      this.options.metrics.labels.inc({ model, result: pair ? 'matched' : 'unmatched' })
      if (!pair) return
      matched++
      const rows = labelled.get(pair.version) ?? []
      labelled.set(pair.version, rows)
      rows.push({
        ts: new Date(pair.ts).toISOString(),
        request_id: id,
        model,
        version: pair.version,
        features: pair.row,
        prediction: pair.prediction,
        label,
      })
    })
    for (const [version, rows] of labelled) await this.#appendLabelled(model, version, rows)
    return { matched, unmatched: records.length - matched - rejected.length, rejected }
  }

  /** Evaluates the current window of a model now. */
  async evaluateNow(model: string): Promise<DriftEvaluation> {
    const monitor = await this.#monitor(model, undefined)
    if (!monitor) throw new DriftRequestError(404, `no reference for model '${model}'`)
    const snapshot = monitor.current()
    if (!snapshot) throw new DriftRequestError(409, `model '${model}' has no rows to evaluate yet`)
    const evaluation = await this.#enqueue(model, () => this.#evaluate(monitor, snapshot, 'demand'))
    if (!evaluation)
      throw new DriftRequestError(409, `model '${model}' has no monitored values to compare yet`)
    return evaluation
  }

  /** Evaluates the time windows that ended without a row arriving to close them. */
  async tick() {
    for (const monitor of await this.#loadedMonitors()) {
      for (const snapshot of monitor.tick()) {
        this.#enqueue(monitor.model, () => this.#evaluate(monitor, snapshot, 'schedule'))
      }
    }
  }

  /** Resolves when every queued evaluation, and every training job it started, has finished. */
  async idle() {
    await Promise.all(this.#queues.values())
    await Promise.allSettled(this.#jobs)
  }

  /** Stops following remote training jobs (they run on), finishes local work, closes the store. */
  async close() {
    clearInterval(this.#ticker)
    await this.#trigger?.close()
    await this.idle()
    await this.options.store.close()
  }

  #monitor(model: string, version: string | undefined): Promise<ModelMonitor | undefined> {
    const wanted = version ?? this.#latestVersion.get(model)
    const key = `${model}\u0000${wanted ?? ''}`
    let monitor = this.#monitors.get(key)
    if (!monitor) {
      monitor = this.options.references
        .load(model, wanted)
        .then(async (reference) => {
          if (!reference) {
            this.#monitors.delete(key)
            return undefined
          }
          const latest = this.#latestVersion.get(model)
          if (!latest || Number(reference.version) >= Number(latest)) {
            this.#latestVersion.set(model, reference.version)
          }
          // A restart neither forgets a drift streak nor re-triggers on windows already counted.
          if (!latest)
            this.#policy.restore(await this.options.store.history(model, { limit: 1000 }))
          return new ModelMonitor(reference, {
            window: this.options.window,
            ...(this.options.drift ? { drift: this.options.drift } : {}),
            sketchKs: this.options.sketchKs ?? false,
          })
        })
        .catch((error) => {
          // A reference that failed to load (the registry unreachable) is asked for next time.
          this.#monitors.delete(key)
          throw error
        })
      this.#monitors.set(key, monitor)
    }
    return monitor
  }

  /** The monitors whose reference has loaded. */
  async #loadedMonitors(): Promise<ModelMonitor[]> {
    const settled = await Promise.allSettled(this.#monitors.values())
    return settled.flatMap((m) => (m.status === 'fulfilled' && m.value ? [m.value] : []))
  }

  #enqueue<T>(model: string, work: () => Promise<T>): Promise<T> {
    const next = (this.#queues.get(model) ?? Promise.resolve()).then(work)
    // A failed evaluation is logged and the queue goes on; callers awaiting it still see the error.
    this.#queues.set(
      model,
      next.catch((error) => this.options.logger.error({ err: error, model }, 'evaluation failed')),
    )
    return next
  }

  async #evaluate(
    monitor: ModelMonitor,
    snapshot: WindowSnapshot,
    trigger: 'window' | 'schedule' | 'demand',
  ): Promise<DriftEvaluation | undefined> {
    const { metrics, store, logger } = this.options
    const model = monitor.model
    const timer = metrics.evaluationDuration.startTimer({ model })
    let evaluation: DriftEvaluation
    try {
      evaluation = monitor.evaluate(snapshot)
    } catch (error) {
      // A window whose monitored columns are all empty has nothing to compare: say so, go on.
      if (!(error instanceof DriftInputError)) throw error
      logger.warn({ model, window: snapshot.info, reason: error.message }, 'window not evaluated')
      return undefined
    } finally {
      timer()
    }
    metrics.evaluations.inc({ model, trigger })
    await store.saveEvaluation(evaluation)
    recordEvaluation(metrics, evaluation)
    metrics.consecutiveDrifted.set({ model }, await store.consecutiveDrifted(model))
    logger.info(
      {
        model,
        window: evaluation.window.id,
        dataset_drift: evaluation.drift.dataset_drift,
        share_drifted: evaluation.drift.share_drifted,
      },
      'window evaluated',
    )
    // A job runs (and is followed) for as long as it takes: evaluations don't wait for it.
    const job = this.#trigger?.observe(evaluation)
    if (job) {
      this.#jobs.add(job)
      void job.finally(() => this.#jobs.delete(job)).catch(() => undefined)
    }
    return evaluation
  }

  /** Stores a job the first time the trigger reports it, and its later status changes. */
  async #recordJob(job: TrainingJob, decision: RetrainDecision) {
    const { store, metrics, logger } = this.options
    metrics.retrainJobs.inc({ model: decision.model, trainer: job.trainer, status: job.status })
    const gate = candidateGate(job)
    if (gate) metrics.retrainCandidates.inc({ model: decision.model, gate })
    logger.info({ job, decision }, 'retraining job')
    if (this.#recordedJobs.has(job.id)) {
      await store.updateRetrainJob(job.id, { status: job.status, details: job.details })
      return
    }
    this.#recordedJobs.add(job.id)
    const now = new Date().toISOString()
    await store.saveRetrainJob({
      id: job.id,
      model: decision.model,
      version: decision.version,
      trainer: job.trainer,
      status: job.status,
      windows: decision.windows,
      reason: decision.reason,
      created_at: now,
      updated_at: now,
      details: job.details,
    })
  }

  async #appendLabelled(model: string, version: string, rows: object[]) {
    const dir = this.options.labelledDir
    if (!dir) return
    const folder = join(dir, model, version)
    await mkdir(folder, { recursive: true })
    const day = new Date().toISOString().slice(0, 10)
    await appendFile(
      join(folder, `labelled-${day}.jsonl`),
      `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`,
    )
  }
}
