import type { Migration, Schema } from '../../../shared/database/index.ts'

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

/** The drift history's schema; its table keeps the name it had before other services had theirs. */
export const DRIFT_SCHEMA: Schema = { table: 'schema_migrations', migrations: MIGRATIONS }
