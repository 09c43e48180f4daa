import type { Migration, Schema } from '../../../shared/database/index.ts'

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry',
    sql: `
      CREATE TABLE registry_models (
        name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'),
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE registry_versions (
        model text NOT NULL REFERENCES registry_models (name),
        version integer NOT NULL CHECK (version > 0),
        -- production is not a stage but an alias (registry_aliases), held by one version at a time.
        stage text NOT NULL CHECK (stage IN ('candidate', 'staging', 'archived')),
        config jsonb NOT NULL,
        metrics jsonb,
        data_location text,
        code_version text,
        training_job text,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NOT NULL CHECK (created_by <> ''),
        PRIMARY KEY (model, version)
      );

      -- A version's files are content-addressed: the artifact store keeps them by sha256.
      CREATE TABLE registry_files (
        model text NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size bigint NOT NULL CHECK (size >= 0),
        PRIMARY KEY (model, version, name),
        FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
      );

      -- The primary key is what makes one version at most hold an alias of a model.
      CREATE TABLE registry_aliases (
        model text NOT NULL REFERENCES registry_models (name),
        alias text NOT NULL CHECK (alias IN ('production', 'canary')),
        version integer NOT NULL,
        -- The canary's share of the model's traffic, in percent; production takes the rest.
        weight double precision CHECK (weight >= 0 AND weight <= 100),
        -- What held the alias before: rollback's target.
        previous_version integer,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model, alias),
        CHECK ((alias = 'canary') = (weight IS NOT NULL)),
        FOREIGN KEY (model, version) REFERENCES registry_versions (model, version),
        FOREIGN KEY (model, previous_version) REFERENCES registry_versions (model, version)
      );

      CREATE TABLE registry_gate_reports (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        model text NOT NULL,
        version integer NOT NULL,
        passed boolean NOT NULL,
        report jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
      );
      CREATE INDEX registry_gate_reports_version ON registry_gate_reports (model, version, id);

      CREATE TABLE registry_audit (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        model text NOT NULL REFERENCES registry_models (name),
        action text NOT NULL
          CHECK (action IN ('register', 'promote', 'rollback', 'archive', 'set_alias', 'remove_alias')),
        version integer,
        alias text,
        from_stage text,
        to_stage text,
        from_version integer,
        to_version integer,
        actor text NOT NULL CHECK (actor <> ''),
        reason text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        details jsonb NOT NULL DEFAULT '{}'
      );
      CREATE INDEX registry_audit_model ON registry_audit (model, id);

      -- History is append-only in the database itself, whatever the code above it does.
      CREATE FUNCTION registry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER registry_audit_append_only BEFORE UPDATE OR DELETE ON registry_audit
        FOR EACH ROW EXECUTE FUNCTION registry_append_only();
      CREATE TRIGGER registry_audit_no_truncate BEFORE TRUNCATE ON registry_audit
        FOR EACH STATEMENT EXECUTE FUNCTION registry_append_only();
      CREATE TRIGGER registry_gate_reports_append_only BEFORE UPDATE OR DELETE
        ON registry_gate_reports FOR EACH ROW EXECUTE FUNCTION registry_append_only();
      CREATE TRIGGER registry_files_append_only BEFORE UPDATE OR DELETE ON registry_files
        FOR EACH ROW EXECUTE FUNCTION registry_append_only();

      -- A registered version is what was evaluated and approved: only its stage may change.
      CREATE FUNCTION registry_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR to_jsonb(NEW) - 'stage' IS DISTINCT FROM to_jsonb(OLD) - 'stage' THEN
          RAISE EXCEPTION 'a registered model version is immutable but for its stage: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER registry_versions_immutable BEFORE UPDATE OR DELETE ON registry_versions
        FOR EACH ROW EXECUTE FUNCTION registry_versions_immutable();
    `,
  },
]

/** Its own migrations table, so that the registry can share a PostgreSQL database with drift. */
export const REGISTRY_SCHEMA: Schema = {
  table: 'registry_schema_migrations',
  migrations: MIGRATIONS,
}
