/**
 * The drift service's history: evaluations per window and the retraining jobs they triggered, in
 * embedded PGlite by default or in PostgreSQL, with the same SQL and migrations for both.
 */

import {
  type Database,
  type DatabaseOptions,
  openMigrated,
  type Param,
} from '../../../shared/database/index.ts'
import type { DriftEvaluation } from '../evaluation/index.ts'
import { DRIFT_SCHEMA } from './migrations.ts'

export interface RetrainJob {
  id: string
  model: string
  version: string
  trainer: string
  status: 'started' | 'completed' | 'failed'
  /** Ids of the windows whose drift triggered the job. */
  windows: string[]
  reason: string
  /** ISO 8601; read back in UTC with milliseconds, as Date#toISOString writes them. */
  created_at: string
  updated_at: string
  details: Record<string, unknown>
}

export interface HistoryOptions {
  /** Default 100, at most 1000. */
  limit?: number
  /** ISO timestamp: only evaluations made before it, to page back from the last one seen. */
  before?: string
}

export interface DriftStore {
  /** Stores an evaluation; a later evaluation of the same window replaces it, an older one is ignored. */
  saveEvaluation(evaluation: DriftEvaluation): Promise<void>
  latest(model: string): Promise<DriftEvaluation | undefined>
  /** Newest first, by evaluated_at. */
  history(model: string, options?: HistoryOptions): Promise<DriftEvaluation[]>
  /** How many of the model's newest evaluations in a row found the dataset drifted. */
  consecutiveDrifted(model: string): Promise<number>
  /** Records a new job; an id already stored is an error. */
  saveRetrainJob(job: RetrainJob): Promise<void>
  /** Sets the status, merges `details` into the stored ones and stamps updated_at. */
  updateRetrainJob(
    id: string,
    patch: Partial<Pick<RetrainJob, 'status' | 'details'>>,
  ): Promise<void>
  /** Newest first, by created_at. */
  retrainJobs(model: string): Promise<RetrainJob[]>
  close(): Promise<void>
}

export type DriftStoreOptions = DatabaseOptions

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

/** Opens the store and brings its schema up to date. */
export async function openDriftStore(options: DriftStoreOptions): Promise<DriftStore> {
  return driftStore(await openMigrated(options, DRIFT_SCHEMA))
}

/**
 * JSON for a jsonb parameter. jsonb has no NaN or ±Infinity, which statistics can be (chi-square is
 * infinite for a category the reference never saw): they are stored tagged and restored on read.
 */
const NON_FINITE = '$nonfinite'

function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { [NON_FINITE]: String(v) } : v,
  )
}

/** Restores the non-finite numbers `toJson` tagged, in place. */
function restoreNonFinite<T>(value: T): T {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      value[i] = restoreNonFinite(item)
    })
    return value
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
    if (keys.length === 1 && keys[0] === NON_FINITE) return Number(record[NON_FINITE]) as T
    for (const key of keys) record[key] = restoreNonFinite(record[key])
  }
  return value
}

// Timestamps go in as UTC ISO strings read by JS, so both backends take an offset-less time alike.
const instant = (iso: string) => new Date(iso).toISOString()

interface JobRow extends Omit<RetrainJob, 'created_at' | 'updated_at'> {
  created_at: Date
  updated_at: Date
}

function driftStore(db: Database): DriftStore {
  const evaluations = async (sql: string, params: Param[]) =>
    (await db.query<{ evaluation: DriftEvaluation }>(sql, params)).map((r) =>
      restoreNonFinite(r.evaluation),
    )

  return {
    async saveEvaluation(e) {
      const evaluation = toJson(e)
      await db.query(
        `INSERT INTO drift_evaluations (model, version, window_id, window_start, window_end, rows,
           dataset_drift, share_drifted, evaluated_at, evaluation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb)
         ON CONFLICT (model, version, window_id) DO UPDATE SET
           window_start = excluded.window_start, window_end = excluded.window_end,
           rows = excluded.rows, dataset_drift = excluded.dataset_drift,
           share_drifted = excluded.share_drifted, evaluated_at = excluded.evaluated_at,
           evaluation = excluded.evaluation
         WHERE excluded.evaluated_at >= drift_evaluations.evaluated_at`,
        [
          e.model,
          e.version,
          e.window.id,
          instant(e.window.start),
          instant(e.window.end),
          e.window.rows,
          e.drift.dataset_drift,
          e.drift.share_drifted,
          instant(e.evaluated_at),
          evaluation,
        ],
      )
    },

    async latest(model) {
      const [newest] = await evaluations(
        `SELECT evaluation FROM drift_evaluations WHERE model = $1
         ORDER BY evaluated_at DESC, id DESC LIMIT 1`,
        [model],
      )
      return newest
    },

    async history(model, { limit = DEFAULT_LIMIT, before } = {}) {
      if (!Number.isInteger(limit) || limit < 1) {
        throw new RangeError(`limit must be a positive integer, not ${limit}`)
      }
      if (before !== undefined && Number.isNaN(Date.parse(before))) {
        throw new RangeError(`before must be an ISO timestamp, not "${before}"`)
      }
      return evaluations(
        `SELECT evaluation FROM drift_evaluations
         WHERE model = $1 AND evaluated_at < coalesce($2::timestamptz, 'infinity')
         ORDER BY evaluated_at DESC, id DESC LIMIT $3`,
        [model, before === undefined ? null : instant(before), Math.min(limit, MAX_LIMIT)],
      )
    },

    async consecutiveDrifted(model) {
      // Everything after the newest evaluation without drift is drifted.
      const [row] = await db.query<{ n: number }>(
        `WITH calm AS (
           SELECT evaluated_at, id FROM drift_evaluations
           WHERE model = $1 AND NOT dataset_drift
           ORDER BY evaluated_at DESC, id DESC LIMIT 1
         )
         SELECT count(*)::int AS n FROM drift_evaluations e
         WHERE e.model = $1 AND NOT EXISTS (
           SELECT 1 FROM calm c WHERE (e.evaluated_at, e.id) <= (c.evaluated_at, c.id)
         )`,
        [model],
      )
      return row?.n ?? 0
    },

    async saveRetrainJob(job) {
      await db.query(
        `INSERT INTO retrain_jobs (id, model, version, trainer, status, windows, reason,
           created_at, updated_at, details)
         VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10::text::jsonb)`,
        [
          job.id,
          job.model,
          job.version,
          job.trainer,
          job.status,
          toJson(job.windows),
          job.reason,
          instant(job.created_at),
          instant(job.updated_at),
          toJson(job.details),
        ],
      )
    },

    async updateRetrainJob(id, { status, details }) {
      const updated = await db.query(
        `UPDATE retrain_jobs SET status = coalesce($2, status),
           details = details || coalesce($3::text::jsonb, '{}'), updated_at = $4
         WHERE id = $1 RETURNING id`,
        [id, status ?? null, details ? toJson(details) : null, new Date().toISOString()],
      )
      if (updated.length === 0) throw new Error(`no retrain job with id ${id}`)
    },

    async retrainJobs(model) {
      const rows = await db.query<JobRow>(
        `SELECT id, model, version, trainer, status, windows, reason, created_at, updated_at,
           details
         FROM retrain_jobs WHERE model = $1 ORDER BY created_at DESC, id DESC`,
        [model],
      )
      return rows.map((r) => ({
        ...r,
        details: restoreNonFinite(r.details),
        created_at: r.created_at.toISOString(),
        updated_at: r.updated_at.toISOString(),
      }))
    },

    close: () => db.close(),
  }
}
