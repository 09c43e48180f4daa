import { describe, expect, it } from 'vitest'
import { describeWith } from '../../../../testing/tools/index.ts'
import { type Database, migrate } from '../../../shared/database/index.ts'
import {
  connectionsPerTest,
  freshPglite,
  postgresServer,
} from '../../../shared/database/testing.ts'
import { DRIFT_SCHEMA, MIGRATIONS } from './migrations.ts'

// The runner itself is tested in services/shared/database; these are the drift schema's own.

const tableExists = async (db: Database, table: string) =>
  (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]))[0]?.t ===
  table

async function createsTheTables(db: Database) {
  expect(await migrate(db, DRIFT_SCHEMA)).toEqual(MIGRATIONS.map((m) => m.version))
  expect(await migrate(db, DRIFT_SCHEMA)).toEqual([])
  expect(await db.query('SELECT version, name FROM schema_migrations ORDER BY version')).toEqual(
    MIGRATIONS.map(({ version, name }) => ({ version, name })),
  )
  expect(await tableExists(db, 'drift_evaluations')).toBe(true)
  expect(await tableExists(db, 'retrain_jobs')).toBe(true)
}

describe('drift migrations on PGlite', () => {
  it('create the drift tables once', async () => {
    const db = await freshPglite()
    try {
      await createsTheTables(db)
    } finally {
      await db.close()
    }
  })
})

describeWith({ server: postgresServer }, 'drift migrations on PostgreSQL', ({ server }) => {
  const connect = connectionsPerTest()

  it('create the drift tables once', async () => {
    await createsTheTables(connect(await server.createDatabase()))
  })

  it('are applied once when two connections start together', async () => {
    const url = await server.createDatabase()
    const [a, b] = [connect(url), connect(url)]
    const runs = await Promise.all([migrate(a, DRIFT_SCHEMA), migrate(b, DRIFT_SCHEMA)])
    expect(runs.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await b.query('SELECT version FROM schema_migrations')).toHaveLength(MIGRATIONS.length)
  })
})
