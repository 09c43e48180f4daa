/**
 * The registry's metadata — models, versions, their files' digests, aliases, gate reports and the
 * audit log — in embedded PGlite by default or in PostgreSQL, with the same SQL and migrations.
 */
import {
  type Database,
  type DatabaseOptions,
  openMigrated,
  type Param,
  type Queryable,
} from '../../../shared/database/index.ts'
import type { GateReport } from '../gate/index.ts'
import { REGISTRY_SCHEMA } from './migrations.ts'

/** Where a version is in its life; holding the production alias is shown as stage `production`. */
export type Stage = 'candidate' | 'staging' | 'archived'
/** A name that points at one version of a model; canary carries a traffic weight. */
export type AliasName = 'production' | 'canary'
export type AuditAction =
  | 'register'
  | 'promote'
  | 'rollback'
  | 'archive'
  | 'set_alias'
  | 'remove_alias'

/** A stored file: the artifact store keeps it by its SHA-256. */
export interface FileRef {
  sha256: string
  size: number
}

/** Where a version came from. */
export interface Lineage {
  data_location: string | null
  code_version: string | null
  training_job: string | null
}

export interface StoredVersion {
  model: string
  version: number
  stage: Stage
  /** By file name: `model.onnx`, and `reference.csv` when the training data's profile came along. */
  files: Record<string, FileRef>
  /** config.json as registered (the inference service's schema). */
  config: Record<string, unknown>
  /** metrics.json as registered. */
  metrics: Record<string, unknown> | null
  lineage: Lineage
  /** ISO 8601 in UTC. */
  created_at: string
  created_by: string
}

export interface StoredAlias {
  model: string
  alias: AliasName
  version: number
  /** The canary's share of traffic in percent; null for production. */
  weight: number | null
  previous_version: number | null
  updated_at: string
}

export interface AuditEntry {
  id: number
  model: string
  action: AuditAction
  /** The version the action was about. */
  version: number | null
  alias: AliasName | null
  from_stage: string | null
  to_stage: string | null
  /** For alias moves: the version that held the alias before, and the one that holds it now. */
  from_version: number | null
  to_version: number | null
  actor: string
  reason: string
  at: string
  details: Record<string, unknown>
}

export type NewAuditEntry = Pick<AuditEntry, 'model' | 'action' | 'actor' | 'reason'> &
  Partial<Omit<AuditEntry, 'id' | 'at' | 'model' | 'action' | 'actor' | 'reason'>>

export interface StoredGateReport {
  id: number
  model: string
  version: number
  passed: boolean
  report: GateReport
  created_at: string
}

export type NewVersion = Omit<StoredVersion, 'created_at'>

/** Reads, each of one model or, without a name, of all. */
export interface RegistryReads {
  /** By name, from the one after `after`, at most `limit`. */
  modelNames(page?: { after?: string; limit?: number }): Promise<string[]>
  /** By model and number; with `newest`, only that many of the highest numbers. */
  versions(model?: string, options?: { newest?: number }): Promise<StoredVersion[]>
  version(model: string, version: number): Promise<StoredVersion | undefined>
  aliases(model?: string): Promise<StoredAlias[]>
  /** Oldest first; with `limit`, the newest that many (below the id `before`, if given). */
  audit(model?: string, page?: { before?: number; limit?: number }): Promise<AuditEntry[]>
  /** How many versions and audit entries the model has. */
  totals(model: string): Promise<{ versions: number; audit: number }>
  /** Oldest first. */
  gateReports(model: string, version: number): Promise<StoredGateReport[]>
}

/** What a transaction may do besides reading; the model's row lock orders concurrent changes. */
export interface RegistryTx extends RegistryReads {
  /** Creates the model if asked to, then locks its row; false if there is no such model. */
  lockModel(model: string, options?: { create?: boolean }): Promise<boolean>
  nextVersion(model: string): Promise<number>
  insertVersion(version: NewVersion): Promise<void>
  setStage(model: string, version: number, stage: Stage): Promise<void>
  putAlias(
    alias: Pick<StoredAlias, 'model' | 'alias' | 'version' | 'weight' | 'previous_version'>,
  ): Promise<void>
  removeAlias(model: string, alias: AliasName): Promise<void>
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>
  saveGateReport(model: string, version: number, report: GateReport): Promise<StoredGateReport>
}

export interface RegistryStore extends RegistryReads {
  /** Runs `work` in one transaction: committed when it resolves, else rolled back. */
  transaction<T>(work: (tx: RegistryTx) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export type RegistryStoreOptions = DatabaseOptions

/** Opens the store and brings its schema up to date. */
export async function openRegistryStore(options: RegistryStoreOptions): Promise<RegistryStore> {
  return registryStore(await openMigrated(options, REGISTRY_SCHEMA))
}

/** The store over a database already migrated to REGISTRY_SCHEMA; closing it closes `db`. */
export function registryStore(db: Database): RegistryStore {
  return {
    ...statements(db),
    transaction: (work) => db.transaction((tx) => work(statements(tx))),
    close: () => db.close(),
  }
}

const iso = (date: Date) => date.toISOString()
const json = (value: unknown) => JSON.stringify(value)

interface VersionRow extends Omit<StoredVersion, 'lineage' | 'created_at'>, Lineage {
  created_at: Date
}

const VERSION_COLUMNS = `v.model, v.version, v.stage, v.config, v.metrics, v.data_location,
  v.code_version, v.training_job, v.created_at, v.created_by,
  coalesce((SELECT jsonb_object_agg(f.name, jsonb_build_object('sha256', f.sha256, 'size', f.size))
    FROM registry_files f WHERE f.model = v.model AND f.version = v.version), '{}') AS files`

function toVersion(row: VersionRow): StoredVersion {
  const { data_location, code_version, training_job, created_at, ...rest } = row
  return {
    ...rest,
    lineage: { data_location, code_version, training_job },
    created_at: iso(created_at),
  }
}

const AUDIT_COLUMNS = `id, model, action, version, alias, from_stage, to_stage, from_version,
  to_version, actor, reason, at, details`

const toAudit = (row: Omit<AuditEntry, 'at'> & { at: Date }): AuditEntry => ({
  ...row,
  at: iso(row.at),
})

const toGateReport = (row: Omit<StoredGateReport, 'created_at'> & { created_at: Date }) => ({
  ...row,
  created_at: iso(row.created_at),
})

function statements(q: Queryable): RegistryTx {
  // `$1::text IS NULL` lets one statement read one model or all of them.
  const ofModel = (model: string | undefined): Param[] => [model ?? null]
  return {
    async modelNames({ after, limit } = {}) {
      // COLLATE "C": the order of the bytes, the same on every server, whatever its locale.
      const rows = await q.query<{ name: string }>(
        `SELECT name FROM registry_models WHERE $1::text IS NULL OR name COLLATE "C" > $1
         ORDER BY name COLLATE "C" LIMIT $2::integer`,
        [after ?? null, limit ?? null],
      )
      return rows.map((r) => r.name)
    },

    async versions(model, { newest } = {}) {
      const rows = await q.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM registry_versions v
         WHERE $1::text IS NULL OR v.model = $1 ORDER BY v.model, v.version DESC
         LIMIT $2::integer`,
        [model ?? null, newest ?? null],
      )
      return rows.reverse().map(toVersion)
    },

    async version(model, version) {
      const [row] = await q.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM registry_versions v WHERE v.model = $1 AND v.version = $2`,
        [model, version],
      )
      return row && toVersion(row)
    },

    async aliases(model) {
      const rows = await q.query<Omit<StoredAlias, 'updated_at'> & { updated_at: Date }>(
        `SELECT model, alias, version, weight, previous_version, updated_at FROM registry_aliases
         WHERE $1::text IS NULL OR model = $1 ORDER BY model, alias`,
        ofModel(model),
      )
      return rows.map((r) => ({ ...r, updated_at: iso(r.updated_at) }))
    },

    async audit(model, { before, limit } = {}) {
      const rows = await q.query<Omit<AuditEntry, 'at'> & { at: Date }>(
        `SELECT ${AUDIT_COLUMNS} FROM registry_audit
         WHERE ($1::text IS NULL OR model = $1) AND ($2::integer IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3::integer`,
        [model ?? null, before ?? null, limit ?? null],
      )
      return rows.reverse().map(toAudit)
    },

    async totals(model) {
      const [row] = await q.query<{ versions: number; audit: number }>(
        `SELECT (SELECT count(*) FROM registry_versions WHERE model = $1)::integer AS versions,
           (SELECT count(*) FROM registry_audit WHERE model = $1)::integer AS audit`,
        [model],
      )
      return row ?? { versions: 0, audit: 0 }
    },

    async gateReports(model, version) {
      const rows = await q.query<Omit<StoredGateReport, 'created_at'> & { created_at: Date }>(
        `SELECT id, model, version, passed, report, created_at FROM registry_gate_reports
         WHERE model = $1 AND version = $2 ORDER BY id`,
        [model, version],
      )
      return rows.map(toGateReport)
    },

    async lockModel(model, { create = false } = {}) {
      if (create) {
        await q.query('INSERT INTO registry_models (name) VALUES ($1) ON CONFLICT DO NOTHING', [
          model,
        ])
      }
      const rows = await q.query('SELECT 1 FROM registry_models WHERE name = $1 FOR UPDATE', [
        model,
      ])
      return rows.length > 0
    },

    async nextVersion(model) {
      // Never past integer's range, whatever the highest number is: the caller refuses it.
      const [row] = await q.query<{ next: number }>(
        `SELECT least(coalesce(max(version), 0), 2147483646) + 1 AS next FROM registry_versions
         WHERE model = $1`,
        [model],
      )
      return row?.next ?? 1
    },

    async insertVersion(v) {
      await q.query(
        `INSERT INTO registry_versions (model, version, stage, config, metrics, data_location,
           code_version, training_job, created_by)
         VALUES ($1, $2, $3, $4::text::jsonb, $5::text::jsonb, $6, $7, $8, $9)`,
        [
          v.model,
          v.version,
          v.stage,
          json(v.config),
          v.metrics === null ? null : json(v.metrics),
          v.lineage.data_location,
          v.lineage.code_version,
          v.lineage.training_job,
          v.created_by,
        ],
      )
      for (const [name, file] of Object.entries(v.files)) {
        await q.query(
          `INSERT INTO registry_files (model, version, name, sha256, size)
           VALUES ($1, $2, $3, $4, $5)`,
          [v.model, v.version, name, file.sha256, file.size],
        )
      }
    },

    async setStage(model, version, stage) {
      await q.query('UPDATE registry_versions SET stage = $3 WHERE model = $1 AND version = $2', [
        model,
        version,
        stage,
      ])
    },

    async putAlias(a) {
      await q.query(
        `INSERT INTO registry_aliases (model, alias, version, weight, previous_version)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version,
           weight = excluded.weight, previous_version = excluded.previous_version,
           updated_at = now()`,
        [a.model, a.alias, a.version, a.weight, a.previous_version],
      )
    },

    async removeAlias(model, alias) {
      await q.query('DELETE FROM registry_aliases WHERE model = $1 AND alias = $2', [model, alias])
    },

    async appendAudit(e) {
      const [row] = await q.query<Omit<AuditEntry, 'at'> & { at: Date }>(
        `INSERT INTO registry_audit (model, action, version, alias, from_stage, to_stage,
           from_version, to_version, actor, reason, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb)
         RETURNING ${AUDIT_COLUMNS}`,
        [
          e.model,
          e.action,
          e.version ?? null,
          e.alias ?? null,
          e.from_stage ?? null,
          e.to_stage ?? null,
          e.from_version ?? null,
          e.to_version ?? null,
          e.actor,
          e.reason,
          json(e.details ?? {}),
        ],
      )
      return toAudit(row as Omit<AuditEntry, 'at'> & { at: Date })
    },

    async saveGateReport(model, version, report) {
      const [row] = await q.query<Omit<StoredGateReport, 'created_at'> & { created_at: Date }>(
        `INSERT INTO registry_gate_reports (model, version, passed, report)
         VALUES ($1, $2, $3, $4::text::jsonb)
         RETURNING id, model, version, passed, report, created_at`,
        [model, version, report.passed, json(report)],
      )
      return toGateReport(row as Omit<StoredGateReport, 'created_at'> & { created_at: Date })
    },
  }
}
