import type { Database } from './database.ts'

export interface Migration {
  /** Applied in increasing order, each once; never renumber or edit a released migration. */
  version: number
  name: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'drift_evaluations',
    sql: `
      CREATE TABLE drift_evaluations (
        id bigserial PRIMARY KEY,
        model text NOT NULL,
        version text NOT NULL,
        window_id text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        rows integer NOT NULL,
        dataset_drift boolean NOT NULL,
        share_drifted double precision NOT NULL,
        evaluated_at timestamptz NOT NULL,
        evaluation jsonb NOT NULL,
        UNIQUE (model, version, window_id)
      );
      -- latest, history and consecutiveDrifted all walk one model's evaluations newest first.
      CREATE INDEX drift_evaluations_model_evaluated_at
        ON drift_evaluations (model, evaluated_at DESC, id DESC);
    `,
  },
  {
    version: 2,
    name: 'retrain_jobs',
    sql: `
      CREATE TABLE retrain_jobs (
        id text PRIMARY KEY,
        model text NOT NULL,
        version text NOT NULL,
        trainer text NOT NULL,
        status text NOT NULL CHECK (status IN ('started', 'completed', 'failed')),
        windows jsonb NOT NULL,
        reason text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        details jsonb NOT NULL
      );
      CREATE INDEX retrain_jobs_model_created_at ON retrain_jobs (model, created_at DESC);
    `,
  },
]

// Every process migrating the same database takes this lock, so a second one waits for the first
// and then finds its migrations recorded. PGlite has one connection, where the lock is free.
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('infera.drift.schema_migrations'))`

const MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`

/** Applies the migrations not yet recorded in schema_migrations, each in its own transaction. */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  migrations.forEach((m, i) => {
    const previous = migrations[i - 1]
    if (previous && m.version <= previous.version) {
      throw new Error(`migration ${m.version} (${m.name}) comes after ${previous.version}`)
    }
  })
  const applied: number[] = []
  for (const m of migrations) {
    const fresh = await db.transaction(async (tx) => {
      await tx.query(LOCK)
      await tx.exec(MIGRATIONS_TABLE)
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version])
      if (done.length > 0) return false
      await tx.exec(m.sql)
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ])
      return true
    })
    if (fresh) applied.push(m.version)
  }
  return applied
}
