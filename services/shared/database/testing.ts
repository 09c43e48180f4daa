/** Databases for the stores' tests: PGlite quickly, and a PostgreSQL server. */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import postgres from 'postgres'
import { afterEach } from 'vitest'
import { requirement } from '../../../testing/tools/index.ts'
import { type Database, openPglite, openPostgres } from './database.ts'

/**
 * An empty PGlite in memory, in about a second rather than three: initdb runs once per PGlite
 * version, and the data directory it made is kept in the temporary folder for later test runs.
 */
export async function freshPglite(): Promise<Database> {
  return openPglite(undefined, { template: await pgliteTemplate() })
}

async function pgliteTemplate(): Promise<Blob> {
  // The package hides its package.json from imports; it sits above the entry point's dist/.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  const { version } = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8'))
  const path = join(tmpdir(), `infera-pglite-${version}.tar.gz`)
  const cached = await readFile(path).catch(() => undefined)
  if (cached) return new Blob([cached])
  const db = await PGlite.create()
  const dump = await db.dumpDataDir('gzip')
  await db.close()
  // Renamed into place: test processes starting together never read half a file.
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, Buffer.from(await dump.arrayBuffer()))
  await rename(temporary, path)
  return dump
}

const ADMIN_URL =
  process.env.INFERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestPostgres {
  /** Creates an empty database, dropped by `close`, and returns its URL. */
  createDatabase(): Promise<string>
  /** Drops the databases created and disconnects. */
  close(): Promise<void>
}

/** Connects to the test server, or throws saying why it couldn't. */
async function reachPostgres(): Promise<TestPostgres> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    await admin`SELECT 1`
  } catch (error) {
    await admin.end({ timeout: 0 })
    throw error
  }
  const run = `infera_test_${process.pid}_${Date.now().toString(36)}`
  const created: string[] = []
  return {
    async createDatabase() {
      const name = `${run}_${created.length}`
      await admin.unsafe(`CREATE DATABASE "${name}"`)
      created.push(name)
      const url = new URL(ADMIN_URL)
      url.pathname = `/${name}`
      return url.toString()
    },
    async close() {
      for (const name of created) await admin.unsafe(`DROP DATABASE "${name}" WITH (FORCE)`)
      await admin.end()
    },
  }
}

/** The test server, for `describeWith({ server: postgresServer }, …)`; closed after the file. */
export const postgresServer = requirement({
  name: `PostgreSQL at ${redacted(ADMIN_URL)}`,
  hint: 'start it or set INFERA_TEST_DATABASE_URL',
  check: reachPostgres,
  close: (server) => server.close(),
})

function redacted(url: string) {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}

/** Opens PostgreSQL connections for a test; each is closed when the test ends. */
export function connectionsPerTest(): (url: string) => Database {
  const opened: Database[] = []
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close()
  })
  return (url) => {
    const db = openPostgres(url)
    opened.push(db)
    return db
  }
}
