import {
  type DriftOptions,
  type DriftReport,
  detectDrift,
  noFeatures,
  SKETCH_KS,
  type Table,
} from '../detect/index.ts'
import {
  type EmbeddingDrift,
  type EmbeddingOptions,
  embeddingDrift,
  type Matrix,
} from '../embeddings/index.ts'
import type { DriftEvaluation, PerformanceReport } from '../evaluation/index.ts'
import { type IngestRow, PREDICTION } from '../ingest/index.ts'
import { LabelJoin, type LabelledPrediction } from '../labels/index.ts'
import { profileSampleTable } from '../profile/index.ts'
import type { Reference } from '../references/index.ts'
import { Kll, sketchKsTest } from '../sketch/index.ts'
import {
  DriftWindows,
  distributions,
  summaries,
  type WindowOptions,
  type WindowSnapshot,
} from '../window/index.ts'

export interface MonitorOptions {
  window: WindowOptions
  drift?: DriftOptions
  /**
   * Test numerical features with DataSketches' KS on the reference's and the window's KLL sketches
   * (threshold widened by their rank error) instead of a p-value test on samples: for long windows,
   * where every p-value is "significant".
   */
  sketchKs?: boolean
  /** How vector columns are tested; Evidently's default (`model`) unless given. */
  embeddings?: EmbeddingOptions
}

/**
 * Watches one model version: its rows stream through windows, and each window is evaluated
 * against the version's reference — drift per feature and for the dataset, data quality, the
 * distributions to draw, and model quality where labels came back.
 */
export class ModelMonitor {
  readonly windows: DriftWindows
  readonly labels = new LabelJoin()
  readonly #referenceSample: Table
  readonly #columns: string[]
  readonly #referenceSketches: Record<string, Kll> = {}
  /** The reference's sample of each vector column. */
  readonly #referenceVectors: Record<string, Matrix>

  constructor(
    readonly reference: Reference,
    readonly options: MonitorOptions,
  ) {
    this.windows = new DriftWindows(reference.profile, options.window)
    this.#referenceSample = profileSampleTable(reference.profile)
    this.#columns = Object.keys(reference.profile.columns)
    this.#referenceVectors = Object.fromEntries(
      Object.entries(reference.profile.embeddings ?? {}).map(([name, e]) => [
        name,
        { rows: e.sample.length, dim: e.dim, data: Float64Array.from(e.sample.flat()) },
      ]),
    )
  }

  get model() {
    return this.reference.model
  }

  get version() {
    return this.reference.version
  }

  /** Adds rows; returns the windows they completed, ready to evaluate. */
  ingest(rows: readonly IngestRow[]): WindowSnapshot[] {
    for (const row of rows) {
      if (row.requestId !== undefined && PREDICTION in row.columns) {
        this.labels.remember(row.requestId, {
          ts: row.ts,
          version: this.version,
          prediction: row.columns[PREDICTION],
          row: this.#monitored(row.columns),
        })
      }
    }
    return this.windows.add(
      rows.map((r) => r.columns),
      rows.map((r) => r.ts),
    )
  }

  /**
   * The reference's columns of a row: all retraining reads, and all a pending prediction keeps
   * (a capture may carry any number of other columns).
   */
  #monitored(columns: Record<string, unknown>): Record<string, unknown> {
    const kept: Record<string, unknown> = {}
    for (const name of this.#columns) if (name in columns) kept[name] = columns[name]
    return kept
  }

  /** Closes the time windows whose end has passed, for a stream that has gone quiet. */
  tick(): WindowSnapshot[] {
    return this.options.window.kind === 'time' ? this.windows.add([]) : []
  }

  label(requestId: string, label: unknown): LabelledPrediction | undefined {
    return this.labels.label(requestId, label)
  }

  /** The window so far, for an evaluation on demand; undefined before any row. */
  current(): WindowSnapshot | undefined {
    return this.windows.current()
  }

  evaluate(snapshot: WindowSnapshot): DriftEvaluation {
    const columns = this.#columns.filter((c) => snapshot.table[c]?.some((v) => v !== null) ?? false)
    // A window of vector columns only has no tabular feature to test.
    const drift =
      columns.length === 0
        ? noFeatures(this.options.drift?.driftShare)
        : detectDrift(this.#referenceSample, snapshot.table, {
            ...this.options.drift,
            columns,
            types: Object.fromEntries(
              columns.map((c) => [c, this.reference.profile.columns[c]?.type ?? 'numerical']),
            ),
          })
    if (this.options.sketchKs && columns.length > 0) this.#testSketches(drift, snapshot)
    const embeddings = this.#testVectors(snapshot)
    if (embeddings) drift.embeddings = embeddings
    const info = snapshot.info
    const performance = this.#performance(info.start, info.end)
    return {
      model: this.model,
      version: this.version,
      evaluated_at: new Date().toISOString(),
      window: { ...info, id: `${this.model}:${this.version}:${info.id}` },
      reference_rows: this.reference.profile.rows,
      drift,
      quality: snapshot.quality,
      ...(performance ? { performance } : {}),
      distributions: distributions(snapshot, this.reference.profile),
      summaries: summaries(snapshot, this.reference.profile),
    }
  }

  /** Each vector column with at least two vectors in the window, tested whole. */
  #testVectors(snapshot: WindowSnapshot): Record<string, EmbeddingDrift> | undefined {
    const tested = Object.entries(snapshot.vectors ?? {}).filter(
      ([name, current]) => current.rows >= 2 && Object.hasOwn(this.#referenceVectors, name),
    )
    if (tested.length === 0) return undefined
    return Object.fromEntries(
      tested.map(([name, current]) => [
        name,
        embeddingDrift(
          name,
          this.#referenceVectors[name] as Matrix,
          current,
          this.options.embeddings,
        ),
      ]),
    )
  }

  /** Replaces the numerical features' tests by the sketch KS, and the dataset decision with them. */
  #testSketches(drift: DriftReport, snapshot: WindowSnapshot) {
    for (const [name, column] of Object.entries(this.reference.profile.columns)) {
      const current = snapshot.sketches[name]
      if (column.type !== 'numerical' || !current || current.n === 0 || !drift.features[name])
        continue
      this.#referenceSketches[name] ??= Kll.fromJSON(column.sketch)
      const result = sketchKsTest(this.#referenceSketches[name], current)
      drift.features[name] = {
        type: 'numerical',
        method: SKETCH_KS,
        statistic: result.statistic,
        p_value: null,
        threshold: result.threshold,
        drifted: result.drifted,
      }
    }
    const features = Object.values(drift.features)
    drift.drifted_columns = features.filter((f) => f.drifted).length
    drift.share_drifted = drift.drifted_columns / features.length
    drift.dataset_drift = drift.share_drifted >= drift.drift_share
  }

  #performance(start: string, end: string): PerformanceReport | undefined {
    const task = this.reference.task ?? this.#inferTask()
    return this.labels.performance(Date.parse(start), Date.parse(end), task)
  }

  #inferTask(): PerformanceReport['task'] {
    return this.reference.profile.columns[PREDICTION]?.type === 'numerical'
      ? 'regression'
      : 'classification'
  }
}
