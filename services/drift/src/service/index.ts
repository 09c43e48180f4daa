import { appendFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { Logger } from 'pino'
import { Poller } from '../../../shared/poll/index.ts'
import { DriftInputError, type DriftOptions } from '../detect/index.ts'
import type { EmbeddingOptions } from '../embeddings/index.ts'
import type { DriftEvaluation } from '../evaluation/index.ts'
import {
  INGEST_LIMITS,
  type IngestRow,
  normalizeRecords,
  parseBatch,
  type Rejection,
  Rejections,
  truncateUtf8,
} from '../ingest/index.ts'
import { type DriftMetrics, recordEvaluation } from '../metrics/index.ts'
import { ModelMonitor } from '../monitor/index.ts'
import type { Reference, ReferenceSource } from '../references/index.ts'
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
  /** How vector columns are tested (see MonitorOptions). */
  embeddings?: EmbeddingOptions
  /** Starts retraining when drift persists (see RetrainPolicy); none by default. */
  trainer?: Trainer
  retrain?: RetrainPolicyOptions
  /** Where labelled rows are appended as JSONL, for retraining on ground truth. */
  labelledDir?: string
}

export interface IngestResult {
  accepted: number
  /** The first INGEST_LIMITS.listedErrors refused records, by index. */
  rejected: Rejection[]
  rejected_count: number
}

export interface LabelResult {
  /** Labels joined to a prediction the platform captured. */
  accepted: number
  /** Labels whose request id no captured prediction (still waiting for one) has. */
  unknown: number
  /** The first INGEST_LIMITS.listedErrors of those ids. */
  unknown_request_ids: string[]
  rejected: Rejection[]
  rejected_count: number
}

/** A request the service refuses as a whole; `status` is the HTTP status it maps to. */
export class DriftRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 422 | 429 | 503,
    message: string,
    readonly details?: object,
  ) {
    super(message)
  }
}

/** A model drift was sent records for, or the registry serves, that it cannot watch. */
export interface UnwatchedModel {
  model: string
  /** The version asked for, when the records named one. */
  version?: string
  status: 'no_reference'
  reason: string
  /** When the service first found it could not watch the model. */
  since: string
}

/** Why drift can't watch a model, and what gives it a reference. */
export const noReferenceReason = (model: string, version?: string) =>
  `drift has no reference for model '${model}'${version ? ` version ${version}` : ''}, so it ` +
  'cannot watch it: register the version with its training rows (reference.csv), or POST them ' +
  `as a JSON array of rows to /v1/drift/${model}/reference`

export const SERVICE_LIMITS = {
  /** Model versions monitored at once: each holds its windows and label join. */
  monitors: 1000,
  /** Models remembered as unwatchable (a bound on names a sender can make up). */
  unwatched: 1000,
  /**
   * Windows of one model waiting to be evaluated and stored: past this (the store down, say), new
   * records are refused with 503 so that senders retry, rather than accepted into a backlog.
   */
  pendingEvaluations: 16,
} as const

const unavailable = (what: string, error: unknown) =>
  new DriftRequestError(503, `${what}: ${String((error as Error)?.message).slice(0, 200)}`)

/** Records handled between two turns of the event loop, in a large batch. */
const YIELD_EVERY = 5000

/** A failed store write's first wait before the next try, and the longest (it doubles). */
const STORE_RETRY_MS = [250, 5000] as const

/**
 * The drift service: a monitor per model version, fed by ingested batches. Completed windows are
 * evaluated in order, one model at a time, off the ingest path; each evaluation is stored,
 * published as metrics, and shown to the retraining trigger.
 */
export class DriftService {
  readonly #monitors = new Map<string, Promise<ModelMonitor | undefined>>()
  readonly #latestVersion = new Map<string, string>()
  readonly #unwatched = new Map<string, UnwatchedModel>()
  readonly #queues = new Map<string, Promise<unknown>>()
  /** Evaluations queued and not yet stored, per model. */
  readonly #pending = new Map<string, number>()
  #closing = false
  /** Training jobs the trigger started and still follows. */
  readonly #jobs = new Set<Promise<unknown>>()
  readonly #recordedJobs = new Set<string>()
  readonly #policy: RetrainPolicy
  readonly #trigger: RetrainTrigger | undefined
  readonly #ticker: Poller | undefined

  constructor(readonly options: DriftServiceOptions) {
    const { window } = options
    // Time windows close on the clock too, so a quiet stream still gets its windows evaluated.
    if (window.kind === 'time') {
      this.#ticker = new Poller(() => this.tick(), {
        intervalMs: Math.min(window.slide ?? window.size, 10_000),
        unref: true,
        onError: (error) => options.logger.error({ err: error }, 'closing time windows failed'),
      })
      this.#ticker.start()
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

  /**
   * The monitored models with their versions and window fill, then the models it was sent records
   * for, or the registry serves, that it cannot watch (no reference), with what to do.
   */
  async models() {
    await this.#findUnwatched()
    const watched = (await this.#loadedMonitors()).map((m) => ({
      model: m.model,
      version: m.version,
      status: 'watching' as const,
      reference_rows: m.reference.profile.rows,
      features: Object.keys(m.reference.profile.columns),
      rows_seen: m.windows.rowsSeen,
      window_fill: m.windows.fill(),
    }))
    return [...watched, ...this.#unwatched.values()]
  }

  /** Why a model has no evaluation, when the reason is that drift can't watch it. */
  unwatched(model: string): UnwatchedModel | undefined {
    return this.#unwatched.get(model)
  }

  /** The served models without a monitor whose reference can't be found. */
  async #findUnwatched() {
    let served: string[]
    try {
      served = (await this.options.references.served?.()) ?? []
    } catch (error) {
      // The list is a courtesy: the monitored models are still answered.
      this.options.logger.warn({ err: error }, 'the served models could not be listed')
      return
    }
    const monitored = new Set((await this.#loadedMonitors()).map((m) => m.model))
    for (const model of served) {
      if (monitored.has(model) || this.#unwatched.has(model)) continue
      const monitor = await this.#monitor(model, undefined).catch(() => undefined)
      if (!monitor) this.#noReference(model, undefined)
    }
  }

  /**
   * Remembers (and logs, once per model) a model drift can't watch; the 404 to answer with.
   * Forgotten when its reference arrives.
   */
  #noReference(model: string, version: string | undefined): DriftRequestError {
    const reason = noReferenceReason(model, version)
    if (!this.#unwatched.has(model) && this.#unwatched.size < SERVICE_LIMITS.unwatched) {
      this.#unwatched.set(model, {
        model,
        ...(version ? { version } : {}),
        status: 'no_reference',
        reason,
        since: new Date().toISOString(),
      })
      this.options.logger.warn({ model, version, status: 'no_reference' }, reason)
    }
    return new DriftRequestError(404, reason, { status: 'no_reference' })
  }

  /**
   * Ingests a batch (JSON array or NDJSON text). Bad records are refused with their index and
   * reason; with `partial`, the good records of the batch are kept, otherwise none are.
   */
  async ingest(model: string, body: string, { partial = false } = {}): Promise<IngestResult> {
    // Only models with a reference get series in /metrics: an unknown name is refused first.
    await this.#requireModel(model)
    this.#checkBacklog(model)
    const rejected = new Rejections()
    // A strict batch with a bad record keeps nothing: checking stops once the answer is full.
    const stopAfter = partial ? Number.POSITIVE_INFINITY : INGEST_LIMITS.listedErrors
    const { records } = parseBatch(body, rejected, { stopAfter })
    const rows: IngestRow[] = []
    const now = Date.now()
    for (let from = 0; from < records.length && rejected.count < stopAfter; from += YIELD_EVERY) {
      // A large batch lets other requests in between its slices.
      if (from > 0) await yieldToEventLoop()
      const slice = { stopAfter, from, to: from + YIELD_EVERY }
      rows.push(...normalizeRecords(model, records, now, rejected, slice).rows)
    }
    const { metrics } = this.options
    if (rejected.count > 0)
      metrics.recordsRejected.inc({ model, reason: 'invalid' }, rejected.count)
    if (rejected.count > 0 && !partial) {
      const counted = rejected.count >= stopAfter ? `at least ${rejected.count}` : rejected.count
      throw new DriftRequestError(
        400,
        `${counted} record(s) are invalid; none were ingested`,
        rejected.toJSON(),
      )
    }
    const byVersion = new Map<string | undefined, IngestRow[]>()
    for (const row of rows) {
      const rowsOfVersion = byVersion.get(row.version) ?? []
      rowsOfVersion.push(row)
      byVersion.set(row.version, rowsOfVersion)
    }
    // Every version's monitor first: a batch refused for one version keeps none of its rows.
    const monitors: Array<[ModelMonitor, IngestRow[]]> = []
    for (const [version, versionRows] of byVersion) {
      const monitor = await this.#monitor(model, version)
      if (!monitor) throw this.#noReference(model, version)
      monitors.push([monitor, versionRows])
    }
    for (const [monitor, versionRows] of monitors) {
      for (let start = 0; start < versionRows.length; start += YIELD_EVERY) {
        // A large batch lets other requests in between its slices.
        if (start > 0) await yieldToEventLoop()
        const completed = monitor.ingest(versionRows.slice(start, start + YIELD_EVERY))
        for (const snapshot of completed)
          this.#enqueue(model, () => this.#evaluate(monitor, snapshot, 'window'))
      }
      metrics.rowsIngested.inc({ model }, versionRows.length)
      metrics.windowFill.set({ model }, monitor.windows.fill())
    }
    return { accepted: rows.length, ...rejected.toJSON() }
  }

  /**
   * Ground truth for earlier predictions, `[{request_id, label}]`, joined by request id. Only a
   * prediction the platform captured (ingested with the ingest credential) can be labelled, and
   * only once: a label for any other id is counted as unknown and goes nowhere.
   */
  async label(model: string, body: string): Promise<LabelResult> {
    await this.#requireModel(model)
    const rejected = new Rejections()
    const { records } = parseBatch(body, rejected)
    // A label may answer any served version's prediction: production's and a canary's alike.
    const monitors = (await this.#loadedMonitors()).filter((m) => m.model === model)
    let accepted = 0
    const unknown: string[] = []
    let unknownCount = 0
    const labelled = new Map<string, object[]>()
    for (let index = 0; index < records.length; index++) {
      if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop()
      const record = records[index]
      if (record === undefined) continue
      const { request_id: id, label } = (record ?? {}) as Record<string, unknown>
      if (
        typeof id !== 'string' ||
        truncateUtf8(id, INGEST_LIMITS.idBytes) !== id ||
        !(typeof label === 'string' || typeof label === 'number' || typeof label === 'boolean')
      ) {
        rejected.add(
          index,
          `a label record is {"request_id": string of at most ${INGEST_LIMITS.idBytes} bytes, ` +
            '"label": string, number or boolean}',
        )
        continue
      }
      const value =
        typeof label === 'string' ? truncateUtf8(label, INGEST_LIMITS.valueBytes) : label
      let pair: ReturnType<ModelMonitor['label']>
      for (const monitor of monitors) pair ??= monitor.label(id, value)
      if (!pair) {
        unknownCount++
        if (unknown.length < INGEST_LIMITS.listedErrors) unknown.push(id)
        continue
      }
      accepted++
      const rows = labelled.get(pair.version) ?? []
      labelled.set(pair.version, rows)
      rows.push({
        ts: new Date(pair.ts).toISOString(),
        request_id: id,
        model,
        version: pair.version,
        features: pair.row,
        prediction: pair.prediction,
        label: value,
      })
    }
    const { labels } = this.options.metrics
    if (accepted > 0) labels.inc({ model, result: 'matched' }, accepted)
    if (unknownCount > 0) labels.inc({ model, result: 'unmatched' }, unknownCount)
    for (const [version, rows] of labelled) await this.#appendLabelled(model, version, rows)
    return {
      accepted,
      unknown: unknownCount,
      unknown_request_ids: unknown,
      ...rejected.toJSON(),
    }
  }

  /** Evaluates the current window of a model now. */
  async evaluateNow(model: string): Promise<DriftEvaluation> {
    const monitor = await this.#monitor(model, undefined)
    if (!monitor) throw this.#noReference(model, undefined)
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
    this.#closing = true
    await this.#ticker?.stop()
    await this.#trigger?.close()
    await this.idle()
    await this.options.store.close()
  }

  /** 404 for a model without a reference (nothing but its name and the reason is kept). */
  async #requireModel(model: string) {
    if (!(await this.#monitor(model, undefined))) throw this.#noReference(model, undefined)
  }

  /** 503 while the model's evaluations wait on the store: new records would only pile up. */
  #checkBacklog(model: string) {
    const pending = this.#pending.get(model) ?? 0
    if (pending >= SERVICE_LIMITS.pendingEvaluations) {
      throw new DriftRequestError(
        503,
        `${pending} windows of model '${model}' are waiting to be evaluated and stored ` +
          '(is the history store down?): nothing was ingested, send the batch again later',
      )
    }
  }

  async #monitor(model: string, version: string | undefined): Promise<ModelMonitor | undefined> {
    let wanted = version ?? this.#latestVersion.get(model)
    let found: Reference | undefined
    if (wanted === undefined) {
      // Which version that is only its reference says: the monitor is kept under its number,
      // where captures naming the version find the same one.
      found = await this.#reference(model, undefined)
      if (!found) return undefined
      wanted = found.version
    }
    const key = `${model}\u0000${wanted}`
    let monitor = this.#monitors.get(key)
    if (monitor) return monitor
    if (this.#monitors.size >= SERVICE_LIMITS.monitors) {
      throw new DriftRequestError(
        429,
        `the service already monitors ${this.#monitors.size} model versions, its limit`,
      )
    }
    monitor = (found ? Promise.resolve(found) : this.#reference(model, wanted))
      .then(async (reference) => {
        if (!reference) {
          this.#monitors.delete(key)
          return undefined
        }
        this.#unwatched.delete(model)
        const latest = this.#latestVersion.get(model)
        if (!latest || Number(reference.version) >= Number(latest)) {
          this.#latestVersion.set(model, reference.version)
        }
        // A restart neither forgets a drift streak nor re-triggers on windows already counted.
        if (!latest) this.#policy.restore(await this.#history(model))
        return new ModelMonitor(reference, {
          window: this.options.window,
          ...(this.options.drift ? { drift: this.options.drift } : {}),
          sketchKs: this.options.sketchKs ?? false,
          ...(this.options.embeddings ? { embeddings: this.options.embeddings } : {}),
        })
      })
      .catch((error: unknown) => {
        // Asked for again next time: the registry or the store may answer by then.
        this.#monitors.delete(key)
        throw error
      })
    this.#monitors.set(key, monitor)
    return monitor
  }

  /** A reference; 503 while its source (the registry) doesn't answer, so senders retry. */
  async #reference(model: string, version: string | undefined) {
    try {
      return await this.options.references.load(model, version)
    } catch (error) {
      throw unavailable(`the reference of model '${model}' can't be loaded now`, error)
    }
  }

  async #history(model: string) {
    try {
      return await this.options.store.history(model, { limit: 1000 })
    } catch (error) {
      throw unavailable(`the history of model '${model}' can't be read now`, error)
    }
  }

  /** The monitors whose reference has loaded. */
  async #loadedMonitors(): Promise<ModelMonitor[]> {
    const settled = await Promise.allSettled(this.#monitors.values())
    return settled.flatMap((m) => (m.status === 'fulfilled' && m.value ? [m.value] : []))
  }

  #enqueue<T>(model: string, work: () => Promise<T>): Promise<T> {
    this.#pending.set(model, (this.#pending.get(model) ?? 0) + 1)
    // A turn of the event loop before each: a batch that completes many windows doesn't hold
    // every other request while they are evaluated back to back.
    const next = (this.#queues.get(model) ?? Promise.resolve())
      .then(() => yieldToEventLoop())
      .then(work)
      .finally(() => {
        this.#pending.set(model, (this.#pending.get(model) ?? 1) - 1)
      })
    // A failed evaluation is logged and the queue goes on; callers awaiting it still see the error.
    this.#queues.set(
      model,
      next.catch((error) => this.options.logger.error({ err: error, model }, 'evaluation failed')),
    )
    return next
  }

  /**
   * Stores an evaluation, trying again while the store doesn't answer (a PostgreSQL restart):
   * the window's rows were accepted, so its evaluation is kept until stored. Only a service
   * closing gives up, after one last try. Returns the model's drifted-window streak.
   */
  async #store(evaluation: DriftEvaluation): Promise<number> {
    const { store, logger } = this.options
    for (let wait: number = STORE_RETRY_MS[0]; ; wait = Math.min(wait * 2, STORE_RETRY_MS[1])) {
      try {
        // An upsert by window: a save whose answer was lost is repeated harmlessly.
        await store.saveEvaluation(evaluation)
        return await store.consecutiveDrifted(evaluation.model)
      } catch (error) {
        if (this.#closing) throw error
        logger.warn(
          { err: error, model: evaluation.model, window: evaluation.window.id, retry_ms: wait },
          'history store unavailable; the evaluation is kept and stored again',
        )
        await sleep(wait)
      }
    }
  }

  async #evaluate(
    monitor: ModelMonitor,
    snapshot: WindowSnapshot,
    trigger: 'window' | 'schedule' | 'demand',
  ): Promise<DriftEvaluation | undefined> {
    const { metrics, logger } = this.options
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
    const streak = await this.#store(evaluation)
    recordEvaluation(metrics, evaluation)
    metrics.consecutiveDrifted.set({ model }, streak)
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
