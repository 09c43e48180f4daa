import { type Database, type DatabaseOptions, openDatabase } from './database.ts'

export interface Migration {
  /** Applied in increasing order, each once; never renumber or edit a released migration. */
  version: number
  name: string
  sql: string
}

/** One service's migrations and the table that records which were applied. */
export interface Schema {
  /**
   * A table of its own per service, so that services sharing one PostgreSQL database (the same
   * DATABASE_URL) each number their migrations from 1.
   */
  table: string
  migrations: readonly Migration[]
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

/** Applies the migrations not yet recorded in the schema's table, each in its own transaction. */
export async function migrate(db: Database, { table, migrations }: Schema): Promise<number[]> {
  if (!IDENTIFIER.test(table)) throw new Error(`'${table}' is not a plain SQL table name`)
  migrations.forEach((m, i) => {
    const previous = migrations[i - 1]
    if (previous && m.version <= previous.version) {
      throw new Error(`migration ${m.version} (${m.name}) comes after ${previous.version}`)
    }
  })
  // Every process migrating the same database takes this lock, so a second one waits for the
  // first and then finds its migrations recorded. PGlite has one connection, where it is free.
  const lock = `SELECT pg_advisory_xact_lock(hashtext('infera.${table}'))`
  const create = `CREATE TABLE IF NOT EXISTS ${table} (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`
  const applied: number[] = []
  for (const m of migrations) {
    const fresh = await db.transaction(async (tx) => {
      await tx.query(lock)
      await tx.exec(create)
      const done = await tx.query(`SELECT 1 FROM ${table} WHERE version = $1`, [m.version])
      if (done.length > 0) return false
      await tx.exec(m.sql)
      await tx.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [m.version, m.name])
      return true
    })
    if (fresh) applied.push(m.version)
  }
  return applied
}

/** Opens the database and brings the schema up to date; closes it again if that fails. */
export async function openMigrated(options: DatabaseOptions, schema: Schema): Promise<Database> {
  const db = await openDatabase(options)
  try {
    await migrate(db, schema)
  } catch (error) {
    await db.close()
    throw error
  }
  return db
}
