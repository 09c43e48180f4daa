// The registry's trust boundary over HTTP, on PGlite and on a real PostgreSQL: who may change
// what serves, who the audit log says did it, and input that must never reach the database.
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWith } from '../../../../testing/tools/index.ts'
import { buildIdentityModel } from '../../../../training/onnx/index.ts'
import { bearer, credentialFor } from '../../../shared/credentials/index.ts'
import { migrate, openPostgres } from '../../../shared/database/index.ts'
import { freshPglite, postgresServer } from '../../../shared/database/testing.ts'
import { LocalArtifactStore } from '../artifacts/index.ts'
import { createRegistryMetrics } from '../metrics/index.ts'
import { Registry } from '../registry/index.ts'
import { registryStore } from '../store/index.ts'
import { REGISTRY_SCHEMA } from '../store/migrations.ts'
import { tempDir } from '../testing/index.ts'
import { ACTOR_HEADER, createRegistryApp } from './index.ts'

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any

const onnx = buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] })
const writer = bearer('writer-token')
const labeller = bearer('labels-token')
/** What a PostgreSQL error would put in an answer. */
const DATABASE_WORDS = /postgres|pglite|byte sequence|0x00|out of range for type|syntax|relation/i

function form(fields: Record<string, string> = {}) {
  const body = new FormData()
  body.set('model.onnx', new Blob([onnx as Uint8Array<ArrayBuffer>]), 'model.onnx')
  body.set('config.json', '{}')
  for (const [key, value] of Object.entries(fields)) body.set(key, value)
  return body
}

function boundary(open: () => Promise<Registry>) {
  let registry: Registry
  let app: ReturnType<typeof createRegistryApp>
  beforeAll(async () => {
    registry = await open()
    app = createRegistryApp({
      registry,
      logger: pino({ level: 'silent' }),
      promRegistry: createRegistryMetrics().promRegistry,
      maxBodyBytes: 1024 * 1024,
      isReady: () => true,
      credentials: [
        await credentialFor('release-bot', 'writer-token', ['registry:write']),
        await credentialFor('labeller', 'labels-token', ['drift:labels']),
      ],
    })
    // Version 1 in production, version 2 a candidate: what the refused calls would change.
    const change = { actor: 'setup', reason: 'fixture' }
    for (const version of [1, 2])
      await registry.register({
        ...change,
        name: 'm',
        version,
        files: { 'model.onnx': onnx },
        config: {},
      })
    await registry.promote('m', 1, { ...change, to: 'production' })
  })
  afterAll(() => registry.close())

  async function call(method: string, path: string, body?: unknown, headers = writer) {
    const init: RequestInit = { method, headers: { ...headers } }
    if (body instanceof FormData) init.body = body
    else if (body !== undefined) {
      init.body = JSON.stringify(body)
      ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
    }
    const res = await app.request(path, init)
    return { status: res.status, res, body: (await res.json()) as Json }
  }

  const writes: [string, string, () => unknown][] = [
    ['POST', '/v1/models/m/versions', () => form()],
    [
      'POST',
      '/v1/models/m/versions/2/promote',
      () => ({ to: 'production', force: true, reason: 'x' }),
    ],
    ['POST', '/v1/models/m/versions/2/archive', () => ({})],
    ['POST', '/v1/models/m/rollback', () => ({})],
    ['PUT', '/v1/models/m/aliases/canary', () => ({ version: 2, weight: 50 })],
    ['DELETE', '/v1/models/m/aliases/canary', () => ({})],
  ]

  it('refuses every change without a registry:write token, and changes nothing', async () => {
    const before = await registry.show('m')
    for (const [method, path, body] of writes) {
      const none = await call(method, path, body(), {})
      expect(none.status, `${method} ${path}`).toBe(401)
      expect(none.res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      const wrong = await call(method, path, body(), bearer('not-a-token'))
      expect(wrong.status, `${method} ${path}`).toBe(401)
      // A valid credential for something else is not one for the registry.
      const scope = await call(method, path, body(), labeller)
      expect(scope.status, `${method} ${path}`).toBe(403)
      expect(scope.body.error).toBe("'labeller' may not registry:write")
    }
    expect(await registry.show('m')).toEqual(before)
  })

  it('refuses every change when it has no credentials at all', async () => {
    const closed = createRegistryApp({
      registry,
      logger: pino({ level: 'silent' }),
      promRegistry: createRegistryMetrics().promRegistry,
      maxBodyBytes: 1024 * 1024,
      isReady: () => true,
    })
    const res = await closed.request('/v1/models/m/rollback', { method: 'POST', headers: writer })
    expect(res.status).toBe(403)
    expect((await closed.request('/v1/models/m')).status).toBe(200)
  })

  it('audits a change under the credential’s name, and refuses an actor header naming another', async () => {
    const forged = await call('POST', '/v1/models/m/versions', form({ reason: 'forged' }), {
      ...writer,
      [ACTOR_HEADER]: 'canary-controller',
    })
    expect(forged.status).toBe(400)
    expect(forged.body.error).toContain("the audit actor is the credential's name 'release-bot'")
    expect((await registry.show('m')).versions_total).toBe(2)

    const registered = await call('POST', '/v1/models/m/versions', form({ reason: 'v3' }), {
      ...writer,
      [ACTOR_HEADER]: 'release-bot',
    })
    expect(registered.status).toBe(201)
    expect(registered.body).toMatchObject({ version: 3, created_by: 'release-bot' })
    const forced = await call('POST', '/v1/models/m/versions/3/promote', {
      to: 'production',
      force: true,
      reason: 'hotfix',
    })
    expect(forced.status).toBe(200)
    expect(forced.body.audit.at(-1)).toMatchObject({
      action: 'promote',
      actor: 'release-bot',
      details: { forced: true },
    })
    expect((await call('POST', '/v1/models/m/rollback', {})).body.audit[0].actor).toBe(
      'release-bot',
    )
  })

  it('refuses version numbers past its bound with a 400, and registers the next one after', async () => {
    for (const version of ['2147483647', '2147483648', '1000001']) {
      const refused = await call('POST', '/v1/models/big/versions', form({ version }))
      expect(refused.status, version).toBe(400)
      expect(refused.body.error).toContain('version: must be a whole number from 1 to 1000000')
    }
    await expect(
      registry.register({
        name: 'big',
        version: 2 ** 31 - 1,
        actor: 'a',
        files: { 'model.onnx': onnx },
        config: {},
      }),
    ).rejects.toMatchObject({ status: 400 })
    const next = await call('POST', '/v1/models/big/versions', form())
    expect(next.status).toBe(201)
    expect(next.body.version).toBe(1)

    const last = await call('POST', '/v1/models/big/versions', form({ version: '1000000' }))
    expect(last.status).toBe(201)
    const full = await call('POST', '/v1/models/big/versions', form())
    expect(full.status).toBe(409)
    expect(full.body.error).toBe(
      'big has used the last version number (1000000): register it under a new name',
    )
    for (const path of [
      '/v1/models/big/versions/2147483648',
      '/v1/models/big/versions/99999999999',
      '/v1/models/big/versions/1000001/files/model.onnx',
      '/v1/models/big/diff?from=1&to=2147483647',
    ]) {
      const { status, body } = await call('GET', path)
      expect(status, path).toBe(400)
      expect(body.error).toMatch(/must be a whole number from 1 to 1000000/)
    }
  })

  it('keeps registering after a version at integer’s limit got into the database before the bound', async () => {
    await registry.store.transaction(async (tx) => {
      await tx.lockModel('legacy', { create: true })
      await tx.insertVersion({
        model: 'legacy',
        version: 2 ** 31 - 1,
        stage: 'candidate',
        files: {},
        config: {},
        metrics: null,
        lineage: { data_location: null, code_version: null, training_job: null },
        created_by: 'before-the-fix',
      })
    })
    const next = await call('POST', '/v1/models/legacy/versions', form())
    expect(next.status).toBe(409)
    expect(next.body.error).toContain('has used the last version number')
    expect((await call('POST', '/v1/models/legacy/versions', form({ version: '7' }))).status).toBe(
      201,
    )
  })

  it('answers 400 without the database’s words for names it can’t hold', async () => {
    const cases: [string, string, unknown?][] = [
      ['GET', '/v1/models/a%00b'],
      ['GET', '/v1/models/%00'],
      ['GET', '/v1/models/a%00b/versions/1'],
      ['GET', '/v1/models/a%00b/versions/1/files/model.onnx'],
      ['GET', '/v1/models/a%00b/audit'],
      ['GET', '/v1/models/a%00b/diff?from=1&to=2'],
      ['GET', '/v1/models?after=%00'],
      ['GET', `/v1/models/${'x'.repeat(129)}`],
      ['POST', '/v1/models/a%00b/versions', form()],
      ['POST', '/v1/models/a%00b/versions/1/promote', { to: 'staging' }],
      ['POST', '/v1/models/a%00b/rollback', {}],
      ['PUT', '/v1/models/a%00b/aliases/canary', { version: 1, weight: 5 }],
    ]
    for (const [method, path, body] of cases) {
      const answer = await call(method, path, body)
      expect(answer.status, `${method} ${path}`).toBe(400)
      expect(answer.body.error).toMatch(/^model name '.*' must be 1–128 letters/)
      expect(answer.body.error).not.toMatch(DATABASE_WORDS)
      expect(answer.body.error.length).toBeLessThan(200)
    }
  })

  it('answers a form of many unknown fields briefly', async () => {
    const fields = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [`field-${i}-${'x'.repeat(50)}`, 'v']),
    )
    const { status, body } = await call('POST', '/v1/models/m/versions', form(fields))
    expect(status).toBe(400)
    expect(body.error).toMatch(/^the form is invalid: \(root\): Unrecognized keys: "field-0-x+", /)
    expect(body.error.length).toBeLessThan(400)
  })

  it('pages the models and the audit trail, and lists a model’s newest versions and entries', async () => {
    await registry.store.transaction(async (tx) => {
      await tx.lockModel('busy', { create: true })
      for (let version = 1; version <= 130; version++) {
        await tx.insertVersion({
          model: 'busy',
          version,
          stage: 'candidate',
          files: {},
          config: {},
          metrics: null,
          lineage: { data_location: null, code_version: null, training_job: null },
          created_by: 'seed',
        })
        await tx.appendAudit({
          model: 'busy',
          action: 'register',
          actor: 'seed',
          reason: '',
          version,
        })
      }
      await tx.putAlias({
        model: 'busy',
        alias: 'production',
        version: 3,
        weight: null,
        previous_version: 2,
      })
    })
    const { body: busy } = await call('GET', '/v1/models/busy')
    expect(busy.versions_total).toBe(130)
    expect(busy.audit_total).toBe(130)
    expect(busy.audit).toHaveLength(100)
    expect(busy.audit[0].version).toBe(31)
    // The newest hundred, and the versions production names whatever their age.
    expect(busy.versions.map((v: Json) => v.version)).toEqual([
      2,
      3,
      ...Array.from({ length: 100 }, (_, i) => 31 + i),
    ])

    const seen: number[] = []
    let before: number | null | undefined
    do {
      const query = before ? `?limit=50&before=${before}` : '?limit=50'
      const page = await call('GET', `/v1/models/busy/audit${query}`)
      expect(page.status).toBe(200)
      expect(page.body.audit.length).toBeLessThanOrEqual(50)
      seen.unshift(...page.body.audit.map((e: Json) => e.version))
      before = page.body.next
    } while (before)
    expect(seen).toEqual(Array.from({ length: 130 }, (_, i) => i + 1))

    const names: string[] = []
    let after: string | null = null
    do {
      const page: { body: Json } = await call(
        'GET',
        `/v1/models?limit=1${after ? `&after=${after}` : ''}`,
      )
      expect(page.body.models).toHaveLength(1)
      names.push(page.body.models[0].name)
      after = page.body.next
    } while (after)
    expect(names).toEqual((await registry.list()).map((m) => m.name))
    expect(names).toEqual(['big', 'busy', 'legacy', 'm'])
    for (const query of ['limit=201', 'limit=0', 'before=-1', 'before=99999999999']) {
      const path = query.startsWith('limit')
        ? `/v1/models?${query}`
        : `/v1/models/busy/audit?${query}`
      expect((await call('GET', path)).status, query).toBe(400)
    }
  })
}

describe('the registry’s trust boundary on PGlite', () => {
  boundary(async () => {
    const db = await freshPglite()
    await migrate(db, REGISTRY_SCHEMA)
    return new Registry(registryStore(db), new LocalArtifactStore(tempDir()))
  })
})

describeWith({ pg: postgresServer }, 'the registry’s trust boundary on PostgreSQL', ({ pg }) => {
  boundary(async () => {
    const db = openPostgres(await pg.createDatabase())
    await migrate(db, REGISTRY_SCHEMA)
    return new Registry(registryStore(db), new LocalArtifactStore(tempDir()))
  })
})
