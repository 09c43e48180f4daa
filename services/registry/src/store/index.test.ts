import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWith } from '../../../../testing/tools/index.ts'
import { DRIFT_SCHEMA } from '../../../drift/src/store/migrations.ts'
import { type Database, migrate, openPostgres } from '../../../shared/database/index.ts'
import { freshPglite, postgresServer } from '../../../shared/database/testing.ts'
import type { GateReport } from '../gate/index.ts'
import { type NewVersion, openRegistryStore, type RegistryStore, registryStore } from './index.ts'
import { REGISTRY_SCHEMA } from './migrations.ts'

const digest = (c: string) => c.repeat(64)
let models = 0
// Every test works on models of its own, so a backend's store is shared within a suite.
const newModel = () => `model-${++models}`

const version = (model: string, v: number, extra: Partial<NewVersion> = {}): NewVersion => ({
  model,
  version: v,
  stage: 'candidate',
  files: {
    'model.onnx': { sha256: digest('a'), size: 1988 },
    'reference.csv': { sha256: digest('b'), size: 10_466 },
  },
  config: { task: 'classification', features: { x: ['a', 'b'] }, weird: 'ünïcødé "quoted"' },
  metrics: { holdout: { accuracy: 0.1 + 0.2 } },
  lineage: { data_location: 's3://data/penguins.csv', code_version: 'abc123', training_job: null },
  created_by: 'alice',
  ...extra,
})

const report = (passed: boolean) => ({ passed, summary: passed ? 'fine' : 'worse' }) as GateReport

async function registered(store: RegistryStore, model: string, versions: number[]) {
  await store.transaction(async (tx) => {
    await tx.lockModel(model, { create: true })
    for (const v of versions) await tx.insertVersion(version(model, v))
  })
}

/** What every backend must do; `sql` reaches the same database underneath the store. */
function storeContract(
  open: () => Promise<{ store: RegistryStore; sql: Database; close: () => Promise<void> }>,
) {
  let store: RegistryStore
  let sql: Database
  let close: () => Promise<void>
  beforeAll(async () => {
    ;({ store, sql, close } = await open())
  })
  afterAll(() => close())

  it('gives back a version exactly as stored, with its files and lineage', async () => {
    const model = newModel()
    const before = Date.now()
    await registered(store, model, [1])
    const [stored] = await store.versions(model)
    expect(stored).toEqual({ ...version(model, 1), created_at: expect.any(String) })
    expect(Date.parse(stored?.created_at ?? '')).toBeGreaterThanOrEqual(before - 1000)
    expect(await store.version(model, 1)).toEqual(stored)
    expect(await store.version(model, 2)).toBeUndefined()
    expect(await store.modelNames()).toContain(model)
  })

  it('numbers versions from 1, per model, under the model’s lock', async () => {
    const [model, other] = [newModel(), newModel()]
    await registered(store, model, [1, 2, 5])
    await store.transaction(async (tx) => {
      expect(await tx.lockModel(model)).toBe(true)
      expect(await tx.nextVersion(model)).toBe(6)
      expect(await tx.lockModel(other)).toBe(false)
      expect(await tx.nextVersion(other)).toBe(1)
    })
  })

  it('keeps one holder per alias, with the previous holder and the canary’s weight', async () => {
    const model = newModel()
    await registered(store, model, [1, 2, 3])
    await store.transaction(async (tx) => {
      await tx.putAlias({
        model,
        alias: 'production',
        version: 1,
        weight: null,
        previous_version: null,
      })
      await tx.putAlias({
        model,
        alias: 'production',
        version: 2,
        weight: null,
        previous_version: 1,
      })
      await tx.putAlias({
        model,
        alias: 'canary',
        version: 3,
        weight: 12.5,
        previous_version: null,
      })
    })
    expect(await store.aliases(model)).toEqual([
      {
        model,
        alias: 'canary',
        version: 3,
        weight: 12.5,
        previous_version: null,
        updated_at: expect.any(String),
      },
      {
        model,
        alias: 'production',
        version: 2,
        weight: null,
        previous_version: 1,
        updated_at: expect.any(String),
      },
    ])
    await store.transaction((tx) => tx.removeAlias(model, 'canary'))
    expect((await store.aliases(model)).map((a) => a.alias)).toEqual(['production'])
  })

  it('refuses aliases the schema does not know, or that point nowhere', async () => {
    const model = newModel()
    await registered(store, model, [1])
    const insert = (alias: string, v: number, weight: number | null) =>
      sql.query(
        'INSERT INTO registry_aliases (model, alias, version, weight) VALUES ($1, $2, $3, $4)',
        [model, alias, v, weight],
      )
    await expect(insert('shadow', 1, null)).rejects.toThrow(/check/)
    await expect(insert('production', 9, null)).rejects.toThrow(/foreign key/)
    await expect(insert('canary', 1, null)).rejects.toThrow(/check/)
    await expect(insert('canary', 1, 101)).rejects.toThrow(/check/)
    await insert('production', 1, null)
    await expect(insert('production', 1, null)).rejects.toThrow(/duplicate key/)
  })

  it('appends audit entries in order and gate reports per version', async () => {
    const model = newModel()
    await registered(store, model, [1])
    const [first, second, saved] = await store.transaction(async (tx) => [
      await tx.appendAudit({
        model,
        action: 'register',
        actor: 'alice',
        reason: '',
        version: 1,
        to_stage: 'candidate',
      }),
      await tx.appendAudit({
        model,
        action: 'promote',
        actor: 'bob',
        reason: 'better F1',
        version: 1,
        alias: 'production',
        to_version: 1,
        details: { gate_report: 7 },
      }),
      await tx.saveGateReport(model, 1, report(false)),
    ])
    expect(second).toEqual({
      id: expect.any(Number),
      model,
      action: 'promote',
      version: 1,
      alias: 'production',
      from_stage: null,
      to_stage: null,
      from_version: null,
      to_version: 1,
      actor: 'bob',
      reason: 'better F1',
      at: expect.any(String),
      details: { gate_report: 7 },
    })
    expect(await store.audit(model)).toEqual([first, second])
    expect(await store.gateReports(model, 1)).toEqual([saved])
    expect(saved).toMatchObject({ model, version: 1, passed: false, report: report(false) })
  })

  it('refuses to change or delete the audit log, even in plain SQL', async () => {
    const model = newModel()
    await registered(store, model, [1])
    await store.transaction((tx) =>
      tx.appendAudit({ model, action: 'register', actor: 'alice', reason: 'x' }),
    )
    await expect(
      sql.query(`UPDATE registry_audit SET actor = 'mallory' WHERE model = $1`, [model]),
    ).rejects.toThrow('registry_audit is append-only: UPDATE refused')
    await expect(sql.query('DELETE FROM registry_audit WHERE model = $1', [model])).rejects.toThrow(
      'registry_audit is append-only: DELETE refused',
    )
    await expect(sql.exec('TRUNCATE registry_audit')).rejects.toThrow(
      'append-only: TRUNCATE refused',
    )
    await expect(sql.query('DELETE FROM registry_gate_reports')).rejects.toThrow('append-only')
    expect((await store.audit(model)).map((e) => e.actor)).toEqual(['alice'])
  })

  it('lets a version change its stage and nothing else', async () => {
    const model = newModel()
    await registered(store, model, [1])
    await store.transaction((tx) => tx.setStage(model, 1, 'staging'))
    expect((await store.version(model, 1))?.stage).toBe('staging')
    await expect(
      sql.query(`UPDATE registry_versions SET config = '{}' WHERE model = $1`, [model]),
    ).rejects.toThrow('immutable but for its stage: UPDATE refused')
    await expect(
      sql.query('DELETE FROM registry_versions WHERE model = $1', [model]),
    ).rejects.toThrow('immutable')
    await expect(
      sql.query(`UPDATE registry_files SET sha256 = $2 WHERE model = $1`, [model, digest('c')]),
    ).rejects.toThrow('registry_files is append-only')
    await expect(
      sql.query(`UPDATE registry_versions SET stage = 'production' WHERE model = $1`, [model]),
    ).rejects.toThrow(/check/)
    expect(await store.version(model, 1)).toMatchObject({
      stage: 'staging',
      files: version(model, 1).files,
    })
  })

  it('rolls a transaction back entirely when it fails', async () => {
    const model = newModel()
    await expect(
      store.transaction(async (tx) => {
        await tx.lockModel(model, { create: true })
        await tx.insertVersion(version(model, 1))
        await tx.insertVersion(version(model, 1))
      }),
    ).rejects.toThrow(/duplicate key/)
    expect(await store.modelNames()).not.toContain(model)
    expect(await store.versions(model)).toEqual([])
  })

  it('refuses names that would not make a folder or a URL path segment', async () => {
    for (const name of ['', '../etc', 'a/b', '-leading', 'x'.repeat(129)]) {
      await expect(store.transaction((tx) => tx.lockModel(name, { create: true }))).rejects.toThrow(
        /check/,
      )
    }
  })
}

describe('PGlite in memory', () => {
  // One PGlite, as the store and as the plain SQL session beside it.
  storeContract(async () => {
    const sql = await freshPglite()
    await migrate(sql, REGISTRY_SCHEMA)
    return { store: registryStore(sql), sql, close: () => sql.close() }
  })
})

describeWith({ server: postgresServer }, 'PostgreSQL', ({ server }) => {
  let url: string
  beforeAll(async () => {
    url = await server.createDatabase()
  })
  storeContract(async () => {
    const [store, sql] = [await openRegistryStore({ databaseUrl: url }), openPostgres(url)]
    return {
      store,
      sql,
      close: async () => {
        await store.close()
        await sql.close()
      },
    }
  })

  it('orders concurrent changes to a model by its row lock', async () => {
    const [a, b] = [
      await openRegistryStore({ databaseUrl: url }),
      await openRegistryStore({ databaseUrl: url }),
    ]
    try {
      const model = newModel()
      // Each takes the next number under the lock; without it both would take version 1.
      const register = (store: RegistryStore) =>
        store.transaction(async (tx) => {
          await tx.lockModel(model, { create: true })
          const next = await tx.nextVersion(model)
          await new Promise((resolve) => setTimeout(resolve, 100))
          await tx.insertVersion(version(model, next))
          return next
        })
      expect((await Promise.all([register(a), register(b)])).sort()).toEqual([1, 2])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('shares a database with the drift service, each with its own migrations', async () => {
    const shared = await server.createDatabase()
    const sql = openPostgres(shared)
    try {
      expect(await migrate(sql, DRIFT_SCHEMA)).toEqual([1, 2])
      const store = await openRegistryStore({ databaseUrl: shared })
      await store.close()
      expect(await sql.query('SELECT version FROM registry_schema_migrations')).toEqual([
        { version: 1 },
      ])
      expect(await sql.query('SELECT version FROM schema_migrations ORDER BY version')).toEqual([
        { version: 1 },
        { version: 2 },
      ])
    } finally {
      await sql.close()
    }
  })
})
