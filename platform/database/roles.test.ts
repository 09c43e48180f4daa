// The roles Job's script against a real PostgreSQL (127.0.0.1:5432, user postgres): the registry
// and drift, each as its own role, migrate into their own schemas and can't touch the other's.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDriftStore } from '../../services/drift/src/store/index.ts'
import { openRegistryStore } from '../../services/registry/src/store/index.ts'
import { ROLES_SCRIPT } from './roles.ts'

const run = promisify(execFile)
const SERVER = 'postgres://postgres@127.0.0.1:5432'
// Roles are cluster-wide: names of this run's own, so parallel runs don't meet.
const suffix = `${process.pid}_${Date.now() % 100000}`
const DATABASE = `infera_roles_${suffix}`
const REGISTRY = `registry_${suffix}`
const DRIFT = `drift_${suffix}`
const url = (role: string) => `postgres://${role}:secret@127.0.0.1:5432/${DATABASE}`

let admin: postgres.Sql
let passwords: string

async function runScript(byRole: Record<string, string>) {
  for (const [role, password] of Object.entries(byRole))
    await writeFile(join(passwords, role), password)
  await run('sh', ['-c', ROLES_SCRIPT, 'roles', ...Object.keys(byRole)], {
    env: { ...process.env, PASSWORDS: passwords, ADMIN_URL: `${SERVER}/${DATABASE}` },
  })
}

const passwordHash = async (role: string) =>
  (await admin`SELECT rolpassword FROM pg_authid WHERE rolname = ${role}`)[0]?.rolpassword

beforeAll(async () => {
  passwords = await mkdtemp(join(tmpdir(), 'roles-'))
  const server = postgres(`${SERVER}/postgres`, { onnotice: () => {} })
  await server.unsafe(`CREATE DATABASE ${DATABASE}`)
  await server.end()
  admin = postgres(`${SERVER}/${DATABASE}`, { onnotice: () => {} })
})

afterAll(async () => {
  await admin?.end()
  const server = postgres(`${SERVER}/postgres`, { onnotice: () => {} })
  await server.unsafe(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
  for (const role of [REGISTRY, DRIFT]) await server.unsafe(`DROP ROLE IF EXISTS ${role}`)
  await server.end()
  await rm(passwords, { recursive: true, force: true })
})

describe('the database roles script', () => {
  it('creates a login role per service owning a schema of its name, idempotently', async () => {
    await runScript({ [REGISTRY]: 'first', [DRIFT]: 'other' })
    const first = await passwordHash(REGISTRY)
    await runScript({ [REGISTRY]: 'rotated', [DRIFT]: 'other' })
    expect(await passwordHash(REGISTRY)).not.toBe(first)
    const roles = await admin`
      SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles
      WHERE rolname IN (${REGISTRY}, ${DRIFT}) ORDER BY rolname`
    expect(roles.map((r) => ({ ...r }))).toEqual(
      [DRIFT, REGISTRY].map((rolname) => ({
        rolname,
        rolcanlogin: true,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
      })),
    )
    const schemas = await admin`
      SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace
      WHERE nspname IN (${REGISTRY}, ${DRIFT}) ORDER BY nspname`
    expect(schemas.map((s) => [s.nspname, s.owner])).toEqual([
      [DRIFT, DRIFT],
      [REGISTRY, REGISTRY],
    ])
  })

  it("lets each service migrate into its own schema, and neither read the other's", async () => {
    const registry = await openRegistryStore({ databaseUrl: url(REGISTRY) })
    await registry.close()
    const drift = await openDriftStore({ databaseUrl: url(DRIFT) })
    await drift.close()
    const tables = await admin`
      SELECT DISTINCT schemaname, tableowner FROM pg_tables
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname`
    expect(tables.map((t) => [t.schemaname, t.tableowner])).toEqual([
      [DRIFT, DRIFT],
      [REGISTRY, REGISTRY],
    ])
    const asRegistry = postgres(url(REGISTRY), { onnotice: () => {} })
    try {
      await expect(asRegistry.unsafe(`SELECT * FROM ${DRIFT}.schema_migrations`)).rejects.toThrow(
        /permission denied for schema/,
      )
      await expect(asRegistry.unsafe('CREATE TABLE public.stray (x int)')).rejects.toThrow(
        /permission denied for schema public/,
      )
    } finally {
      await asRegistry.end()
    }
  })
})
