/**
 * The little the store needs from a database, over PGlite (embedded, WASM) or a PostgreSQL server
 * (postgres.js), so that one set of SQL and migrations serves both.
 */
import { mkdir } from 'node:fs/promises'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import postgres from 'postgres'

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

/** PGlite persisted in `dataDir`, or in memory when there is none. */
export async function openPglite(dataDir?: string): Promise<Database> {
  // PGlite creates the directory itself, but not its parents.
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true })
  const db = await PGlite.create(dataDir)
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
    close: () => db.close(),
  }
}

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
    close: () => sql.end(),
  }
}
