import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Database, openPglite, openPostgres } from './database.ts'
import { MIGRATIONS, type Migration, migrate } from './migrations.ts'
import { describePostgres, reachPostgres } from './testing.ts'

const recorded = (db: Database) =>
  db.query<{ version: number; name: string }>(
    'SELECT version, name FROM schema_migrations ORDER BY version',
  )

const tableExists = async (db: Database, table: string) =>
  (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]))[0]?.t ===
  table

/** What the runner must do on any backend, each test on a fresh, empty database. */
function migrationContract(fresh: () => Promise<Database>) {
  it('applies each migration once, in order, and records it', async () => {
    const db = await fresh()
    expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await migrate(db)).toEqual([])
    expect(await recorded(db)).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })))
    expect(await tableExists(db, 'drift_evaluations')).toBe(true)
    expect(await tableExists(db, 'retrain_jobs')).toBe(true)
  })

  it('applies only the migrations added since the last run', async () => {
    const db = await fresh()
    const [first, ...rest] = MIGRATIONS as [Migration, ...Migration[]]
    expect(await migrate(db, [first])).toEqual([first.version])
    expect(await migrate(db)).toEqual(rest.map((m) => m.version))
  })

  it('rolls back a failing migration entirely and leaves the earlier ones applied', async () => {
    const db = await fresh()
    const broken: Migration[] = [
      { version: 1, name: 'fine', sql: 'CREATE TABLE fine (n int)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE half (n int); SELECT no_such_function()' },
    ]
    await expect(migrate(db, broken)).rejects.toThrow(/no_such_function/)
    expect(await recorded(db)).toEqual([{ version: 1, name: 'fine' }])
    expect(await tableExists(db, 'half')).toBe(false)
  })

  it('refuses migrations out of order before applying any', async () => {
    const db = await fresh()
    await expect(migrate(db, [...MIGRATIONS].reverse())).rejects.toThrow(/comes after/)
    expect(await tableExists(db, 'schema_migrations')).toBe(false)
  })
}

describe('migrations on PGlite', () => {
  const opened: Database[] = []
  const dirs: string[] = []
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close()
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
  })

  migrationContract(async () => {
    const db = await openPglite()
    opened.push(db)
    return db
  })

  it('remembers what it applied when the data directory is reopened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infera-drift-migrations-'))
    dirs.push(dir)
    const first = await openPglite(dir)
    expect(await migrate(first)).toEqual(MIGRATIONS.map((m) => m.version))
    await first.close()
    const reopened = await openPglite(dir)
    opened.push(reopened)
    expect(await migrate(reopened)).toEqual([])
  })
})

describePostgres('migrations on PostgreSQL', await reachPostgres(), (server) => {
  const opened: Database[] = []
  const connect = (url: string) => {
    const db = openPostgres(url)
    opened.push(db)
    return db
  }
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close()
  })

  migrationContract(async () => connect(await server.createDatabase()))

  it('applies each migration once when two connections migrate at the same time', async () => {
    const url = await server.createDatabase()
    const [a, b] = [connect(url), connect(url)]
    // The sleep holds the first migration open long enough for the other run to reach it.
    const slow: Migration[] = [
      { version: 1, name: 'probe', sql: 'CREATE TABLE probe (n int); SELECT pg_sleep(0.3)' },
      { version: 2, name: 'probe_row', sql: 'INSERT INTO probe VALUES (1)' },
    ]
    const runs = await Promise.all([migrate(a, slow), migrate(b, slow)])
    expect(runs.flat().sort()).toEqual([1, 2])
    expect(await a.query('SELECT n FROM probe')).toEqual([{ n: 1 }])
  })

  it('applies the real migrations once when two connections start together', async () => {
    const url = await server.createDatabase()
    const [a, b] = [connect(url), connect(url)]
    const runs = await Promise.all([migrate(a), migrate(b)])
    expect(runs.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await recorded(b)).toHaveLength(MIGRATIONS.length)
  })
})
