/**
 * The little a store needs from a database, over PGlite (embedded, WASM) or a PostgreSQL server
 * (postgres.js), so that one set of SQL and migrations serves both.
 */
import { mkdir } from 'node:fs/promises'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import postgres from 'postgres'
import { lockDirectory } from './lock.ts'

/**
 * What both drivers bind alike. JSON goes in as a string cast by `$n::text::jsonb`: postgres.js
 * would encode a string bound straight to a jsonb parameter a second time.
 */
export type Param = string | number | boolean | null

export interface Queryable {
  /** One statement with $1… parameters; rows come back with timestamptz as Date, jsonb parsed. */
  query<Row>(text: string, params?: readonly Param[]): Promise<Row[]>
  /** A script of several statements without parameters, such as a migration. */
  exec(script: string): Promise<void>
}

export interface Database extends Queryable {
  /** Runs `work` in a transaction on one connection: committed when it resolves, else rolled back. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** A PostgreSQL URL; when set, `dataDir` is not used. */
  databaseUrl?: string
  /** Where PGlite keeps its files; in memory when undefined. */
  dataDir?: string
}

/** PostgreSQL at `databaseUrl`, else PGlite in `dataDir` or in memory. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.dataDir)
}

/**
 * PGlite persisted in `dataDir`, or in memory when there is none; `template`, a data directory
 * PGlite dumped, starts it with that content instead of running initdb. A directory is locked
 * while open: a second open, from any process, fails with DirectoryInUseError.
 */
export async function openPglite(
  dataDir?: string,
  { template }: { template?: Blob } = {},
): Promise<Database> {
  let unlock = async () => {}
  if (dataDir !== undefined) {
    // PGlite creates the directory itself, but not its parents.
    await mkdir(dataDir, { recursive: true })
    unlock = await lockDirectory(dataDir)
  }
  let db: PGlite
  try {
    db = await PGlite.create(dataDir, template ? { loadDataDir: template } : {})
  } catch (error) {
    await unlock()
    throw error
  }
  const on = (q: PGlite | Transaction): Queryable => ({
    query: async <Row>(text: string, params: readonly Param[] = []) =>
      (await q.query<Row>(text, [...params])).rows,
    exec: async (script) => {
      await q.exec(script)
    },
  })
  return {
    ...on(db),
    transaction: (work) => db.transaction((tx) => work(on(tx))),
    close: async () => {
      await db.close()
      await unlock()
    },
  }
}

const CLOSE_TIMEOUT_SECONDS = 5

/** A pool of connections to the PostgreSQL server at `url`. */
export function openPostgres(url: string): Database {
  // Notices such as "relation already exists, skipping" would otherwise go to the console.
  const sql = postgres(url, { onnotice: () => {} })
  const on = (q: postgres.Sql | postgres.TransactionSql): Queryable => ({
    query: async <Row>(text: string, params: readonly Param[] = []) =>
      (await q.unsafe(text, [...params])) as unknown as Row[],
    exec: async (script) => {
      await q.unsafe(script).simple()
    },
  })
  return {
    ...on(sql),
    transaction: async <T>(work: (tx: Queryable) => Promise<T>) =>
      (await sql.begin((tx) => work(on(tx)))) as T,
    // Bounded: after an outage, a plain end() can wait forever on a connection that never answers.
    close: () => sql.end({ timeout: CLOSE_TIMEOUT_SECONDS }),
  }
}
