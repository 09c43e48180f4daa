import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWith } from '../../../testing/tools/index.ts'
import {
  type Database,
  DirectoryInUseError,
  type Migration,
  migrate,
  openPglite,
  type Schema,
} from './index.ts'
import { lockDirectory } from './lock.ts'
import { connectionsPerTest, freshPglite, postgresServer } from './testing.ts'

const MIGRATIONS: Migration[] = [
  { version: 1, name: 'first', sql: 'CREATE TABLE first (n int)' },
  { version: 2, name: 'second', sql: 'CREATE TABLE second (n int); INSERT INTO second VALUES (2)' },
  { version: 3, name: 'third', sql: 'ALTER TABLE second ADD COLUMN m int' },
]
const schema = (migrations: readonly Migration[] = MIGRATIONS): Schema => ({
  table: 'test_migrations',
  migrations,
})

const recorded = (db: Database, table = 'test_migrations') =>
  db.query<{ version: number; name: string }>(`SELECT version, name FROM ${table} ORDER BY version`)

const tableExists = async (db: Database, table: string) =>
  (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]))[0]?.t ===
  table

/** What the runner must do on any backend, each test on a fresh, empty database. */
function migrationContract(fresh: () => Promise<Database>) {
  it('applies each migration once, in order, and records it', async () => {
    const db = await fresh()
    expect(await migrate(db, schema())).toEqual([1, 2, 3])
    expect(await migrate(db, schema())).toEqual([])
    expect(await recorded(db)).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })))
    expect(await db.query('SELECT n, m FROM second')).toEqual([{ n: 2, m: null }])
  })

  it('applies only the migrations added since the last run', async () => {
    const db = await fresh()
    expect(await migrate(db, schema(MIGRATIONS.slice(0, 1)))).toEqual([1])
    expect(await migrate(db, schema())).toEqual([2, 3])
  })

  it('rolls back a failing migration entirely and leaves the earlier ones applied', async () => {
    const db = await fresh()
    const broken: Migration[] = [
      { version: 1, name: 'fine', sql: 'CREATE TABLE fine (n int)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE half (n int); SELECT no_such_function()' },
    ]
    await expect(migrate(db, schema(broken))).rejects.toThrow(/no_such_function/)
    expect(await recorded(db)).toEqual([{ version: 1, name: 'fine' }])
    expect(await tableExists(db, 'half')).toBe(false)
  })

  it('refuses migrations out of order, or a table name that is not plain, before applying any', async () => {
    const db = await fresh()
    await expect(migrate(db, schema([...MIGRATIONS].reverse()))).rejects.toThrow(/comes after/)
    await expect(migrate(db, { table: 'x; DROP TABLE y', migrations: [] })).rejects.toThrow(
      /not a plain SQL table name/,
    )
    expect(await tableExists(db, 'test_migrations')).toBe(false)
  })

  it('keeps the migrations of two schemas in one database apart', async () => {
    const db = await fresh()
    const other: Schema = {
      table: 'other_migrations',
      migrations: [{ version: 1, name: 'other', sql: 'CREATE TABLE other (n int)' }],
    }
    expect(await migrate(db, schema())).toEqual([1, 2, 3])
    expect(await migrate(db, other)).toEqual([1])
    expect(await recorded(db, 'other_migrations')).toEqual([{ version: 1, name: 'other' }])
    expect(await recorded(db)).toHaveLength(3)
  })
}

const dirs: string[] = []
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'infera-database-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('migrations on PGlite', () => {
  // One PGlite (slow to start) with an empty schema per test stands in for a fresh database each.
  let db: Database
  let schemas = 0
  beforeAll(async () => {
    db = await freshPglite()
  })
  afterAll(() => db.close())

  migrationContract(async () => {
    const name = `fresh_${++schemas}`
    await db.exec(`CREATE SCHEMA ${name}; SET search_path TO ${name}`)
    return db
  })
})

describe('a PGlite data directory', () => {
  it('keeps what was applied, and is open in one place at a time', async () => {
    const dir = await tempDir()
    const first = await openPglite(dir)
    expect(await migrate(first, schema())).toEqual([1, 2, 3])
    const second = openPglite(dir)
    await expect(second).rejects.toThrow(DirectoryInUseError)
    await expect(second).rejects.toThrow(`in use by process ${process.pid}`)
    await first.close()
    const reopened = await openPglite(dir)
    try {
      expect(await migrate(reopened, schema())).toEqual([])
    } finally {
      await reopened.close()
    }
  })
})

describe('the directory lock', () => {
  it('is refused while another process holds it', async () => {
    const dir = await tempDir()
    // A live process that is not this one, named by the lock as its holder.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'])
    try {
      await writeFile(join(dir, 'infera.lock'), `${sleeper.pid}\n`)
      await expect(lockDirectory(dir)).rejects.toThrow(`in use by process ${sleeper.pid}`)
    } finally {
      sleeper.kill()
    }
  })

  it('is taken over from a process that is gone, or from this pid in an earlier life', async () => {
    const dir = await tempDir()
    const gone = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => gone.once('exit', resolve))
    for (const pid of [gone.pid, process.pid, 'garbage']) {
      await writeFile(join(dir, 'infera.lock'), `${pid}\n`)
      const unlock = await lockDirectory(dir)
      expect(await readFile(join(dir, 'infera.lock'), 'utf8')).toBe(`${process.pid}\n`)
      await expect(lockDirectory(dir)).rejects.toThrow(DirectoryInUseError)
      await unlock()
    }
  })
})

describeWith({ server: postgresServer }, 'migrations on PostgreSQL', ({ server }) => {
  const connect = connectionsPerTest()

  migrationContract(async () => connect(await server.createDatabase()))

  it('applies each migration once when two connections migrate at the same time', async () => {
    const url = await server.createDatabase()
    const [a, b] = [connect(url), connect(url)]
    // The sleep holds the first migration open long enough for the other run to reach it.
    const slow: Migration[] = [
      { version: 1, name: 'probe', sql: 'CREATE TABLE probe (n int); SELECT pg_sleep(0.3)' },
      { version: 2, name: 'probe_row', sql: 'INSERT INTO probe VALUES (1)' },
    ]
    const runs = await Promise.all([migrate(a, schema(slow)), migrate(b, schema(slow))])
    expect(runs.flat().sort()).toEqual([1, 2])
    expect(await a.query('SELECT n FROM probe')).toEqual([{ n: 1 }])
  })
})
