/** A PostgreSQL server for the store's tests, with a throwaway database per use. */
import postgres from 'postgres'
import { afterAll, describe, it } from 'vitest'

const ADMIN_URL =
  process.env.INFERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestPostgres {
  /** Creates an empty database, dropped by `close`, and returns its URL. */
  createDatabase(): Promise<string>
  /** Drops the databases created and disconnects. */
  close(): Promise<void>
}

/** Connects to the test server, or says why it couldn't. */
export async function reachPostgres(): Promise<TestPostgres | string> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    await admin`SELECT 1`
  } catch (error) {
    await admin.end({ timeout: 0 })
    const url = new URL(ADMIN_URL)
    if (url.password) url.password = '***'
    return `PostgreSQL at ${url} is unreachable (${(error as Error).message}); start it or set INFERA_TEST_DATABASE_URL`
  }
  const run = `infera_drift_test_${process.pid}_${Date.now().toString(36)}`
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

/**
 * Declares tests that need the server. Without one they are skipped with the reason, except under
 * CI, where a missing server is a failure.
 */
export function describePostgres(
  name: string,
  server: TestPostgres | string,
  body: (server: TestPostgres) => void,
): void {
  describe(name, () => {
    if (typeof server === 'string') {
      it('reaches the server', (ctx) => {
        if (!process.env.CI) ctx.skip(server)
        throw new Error(server)
      })
      return
    }
    afterAll(() => server.close())
    body(server)
  })
}
