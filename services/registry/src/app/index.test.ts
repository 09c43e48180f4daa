import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { beforeAll, describe, expect, it } from 'vitest'
import { bearer, credentialFor } from '../../../shared/credentials/index.ts'
import { artifactKey, sha256 } from '../artifacts/index.ts'
import { createRegistryMetrics } from '../metrics/index.ts'
import type { ModelRegistry } from '../registry/index.ts'
import { type TrainedVersion, usePenguinsRegistry } from '../testing/index.ts'
import { createRegistryApp, SHA256_HEADER } from './index.ts'

const fx = usePenguinsRegistry()
let app: ReturnType<typeof createRegistryApp>
beforeAll(async () => {
  app = createRegistryApp({
    registry: fx.registry,
    logger: pino({ level: 'silent' }),
    promRegistry: createRegistryMetrics().promRegistry,
    maxBodyBytes: 1024 * 1024,
    isReady: () => true,
    credentials: [
      await credentialFor('ci-pipeline', 'writer-token', ['registry:write']),
      await credentialFor('labeller', 'labels-token', ['drift:labels']),
    ],
  })
})

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any
const actor = bearer('writer-token')

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = actor,
) {
  const init: RequestInit = { method, headers: { ...headers } }
  if (body instanceof FormData) init.body = body
  else if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
  }
  const res = await app.request(path, init)
  const type = res.headers.get('content-type') ?? ''
  return {
    status: res.status,
    res,
    body: (type.includes('json') ? await res.json() : undefined) as Json,
  }
}

function versionForm(t: TrainedVersion, fields: Record<string, string> = {}) {
  const form = new FormData()
  form.set('model.onnx', new Blob([t.onnx as Uint8Array<ArrayBuffer>]), 'model.onnx')
  form.set('config.json', new Blob([JSON.stringify(t.config)]), 'config.json')
  form.set('metrics.json', JSON.stringify(t.metrics))
  form.set('reference.csv', new Blob([t.reference]), 'reference.csv')
  for (const [key, value] of Object.entries(fields)) form.set(key, value)
  return form
}

describe('the registry API', () => {
  it('registers a version from a multipart form and answers with it', async () => {
    const { status, body } = await call(
      'POST',
      '/v1/models/penguins/versions',
      versionForm(fx.good, {
        code_version: 'abc123',
        data_location: 's3://d/p.csv',
        reason: 'first',
      }),
    )
    expect(status).toBe(201)
    expect(body).toMatchObject({
      model: 'penguins',
      version: 1,
      stage: 'candidate',
      created_by: 'ci-pipeline',
      config: fx.good.config,
      metrics: fx.good.metrics,
      lineage: { code_version: 'abc123', data_location: 's3://d/p.csv', training_job: null },
      files: { 'model.onnx': { sha256: sha256(fx.good.onnx), size: fx.good.onnx.byteLength } },
    })
    const second = await call(
      'POST',
      '/v1/models/penguins/versions',
      versionForm(fx.weak, { stage: 'staging' }),
    )
    expect(second.body).toMatchObject({ version: 2, stage: 'staging' })
  })

  it('lists models with versions, aliases and audit, and shows one model or version', async () => {
    const list = await call('GET', '/v1/models')
    expect(list.status).toBe(200)
    const penguins = list.body.models.find((m: Json) => m.name === 'penguins')
    expect(penguins.versions.map((v: Json) => v.version)).toEqual([1, 2])
    expect(penguins.audit.map((e: Json) => [e.action, e.actor])).toEqual([
      ['register', 'ci-pipeline'],
      ['register', 'ci-pipeline'],
    ])
    expect((await call('GET', '/v1/models/penguins')).body).toEqual(penguins)
    expect((await call('GET', '/v1/models/penguins/versions/2')).body).toMatchObject({
      version: 2,
      gate_reports: [],
    })
  })

  it('serves a version’s files with the digest they were registered under', async () => {
    const { res, status } = await call('GET', '/v1/models/penguins/versions/1/files/model.onnx')
    expect(status).toBe(200)
    expect(res.headers.get(SHA256_HEADER)).toBe(sha256(fx.good.onnx))
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(fx.good.onnx)
    const csvFile = await call('GET', '/v1/models/penguins/versions/1/files/reference.csv')
    expect(await csvFile.res.text()).toBe(fx.good.reference)
  })

  it('promotes through the gate, refuses a worse version with the report, and rolls back', async () => {
    const first = await call('POST', '/v1/models/penguins/versions/1/promote', {
      to: 'production',
      reason: 'launch',
    })
    expect(first.status).toBe(200)
    expect(first.body.audit[0]).toMatchObject({
      action: 'promote',
      to_version: 1,
      actor: 'ci-pipeline',
    })

    const refused = await call('POST', '/v1/models/penguins/versions/2/promote', {
      to: 'production',
      holdout: fx.csv,
    })
    expect(refused.status).toBe(409)
    expect(refused.body.error).toMatch(
      /^the gate refused: version 2 is worse than production version 1/,
    )
    expect(refused.body.gate).toMatchObject({
      passed: false,
      task: 'classification',
      holdout: { rows: 67 },
    })

    const forced = await call('POST', '/v1/models/penguins/versions/2/promote', {
      to: 'production',
      holdout: fx.csv,
      force: true,
      reason: 'we know',
    })
    expect(forced.body.gate).toMatchObject({ passed: false, forced: true })
    expect((await call('GET', '/v1/models/penguins')).body.aliases.production).toMatchObject({
      version: 2,
      previous_version: 1,
    })

    const back = await call('POST', '/v1/models/penguins/rollback', {
      reason: 'forced one misbehaves',
    })
    expect(back.body.audit).toMatchObject([{ action: 'rollback', from_version: 2, to_version: 1 }])
    expect((await call('POST', '/v1/models/penguins/rollback')).status).toBe(409)
  })

  it('promotes through a canary, and then to production on the canary’s gate report', async () => {
    const third = await call(
      'POST',
      '/v1/models/penguins/versions',
      versionForm(fx.good, { reason: 'retrained' }),
    )
    expect(third.body.version).toBe(3)
    const started = await call('POST', '/v1/models/penguins/versions/3/promote', {
      to: 'production',
      holdout: fx.csv,
      canary: { weight: 15 },
    })
    expect(started.status).toBe(200)
    expect(started.body.gate).toMatchObject({ passed: true, production_version: 1 })
    expect(started.body.audit).toMatchObject([
      { action: 'set_alias', alias: 'canary', to_version: 3, details: { weight: 15 } },
    ])
    const { aliases } = (await call('GET', '/v1/models/penguins')).body
    expect(aliases.production.version).toBe(1)
    expect(aliases.canary).toMatchObject({ version: 3, weight: 15 })

    const promoted = await call('POST', '/v1/models/penguins/versions/3/promote', {
      to: 'production',
    })
    expect(promoted.status).toBe(200)
    expect(promoted.body.audit[1]).toMatchObject({
      action: 'promote',
      to_version: 3,
      details: { reused: true, gate_report: started.body.audit[0].details.gate_report },
    })
    // Back to production version 1 for the tests after this one.
    expect((await call('POST', '/v1/models/penguins/rollback', {})).status).toBe(200)
  })

  it('sets and removes the canary, archives, and diffs two versions', async () => {
    const canary = await call('PUT', '/v1/models/penguins/aliases/canary', {
      version: 2,
      weight: 5,
    })
    expect(canary.body.audit[0]).toMatchObject({
      action: 'set_alias',
      alias: 'canary',
      details: { weight: 5 },
    })
    expect((await call('POST', '/v1/models/penguins/versions/2/archive', {})).status).toBe(409)
    expect((await call('DELETE', '/v1/models/penguins/aliases/canary')).status).toBe(200)
    const archived = await call('POST', '/v1/models/penguins/versions/2/archive', {
      reason: 'worse',
    })
    expect(archived.body.audit).toMatchObject([
      { action: 'archive', to_stage: 'archived', reason: 'worse' },
    ])
    const diff = await call('GET', '/v1/models/penguins/diff?from=1&to=2')
    expect(diff.body).toMatchObject({
      from: 1,
      to: 2,
      stage: { from: 'production', to: 'archived' },
    })
    expect(diff.body.files['model.onnx'].changed).toBe(true)
  })

  it('answers 400 naming the problem', async () => {
    const cases: [string, string, unknown, Record<string, string>, string | RegExp][] = [
      [
        'POST',
        '/v1/models/penguins/versions',
        { config: {} },
        actor,
        'register a version as multipart/form-data',
      ],
      ['POST', '/v1/models/penguins/versions/1/promote', '{"to":', actor, /^the body is not JSON/],
      [
        'POST',
        '/v1/models/penguins/versions/1/promote',
        { to: 'prod' },
        actor,
        /^the body is invalid: to: /,
      ],
      [
        'POST',
        '/v1/models/penguins/versions/1/promote',
        { to: 'staging', margin: 2 },
        actor,
        /margin: /,
      ],
      [
        'POST',
        '/v1/models/penguins/versions/x/archive',
        {},
        actor,
        "version must be a whole number from 1 to 1000000, not 'x'",
      ],
      ['PUT', '/v1/models/penguins/aliases/canary', { version: 1 }, actor, /weight: /],
      [
        'POST',
        '/v1/models/penguins/versions/2/promote',
        { to: 'production', holdout: 'x', canary: { weight: '10' } },
        actor,
        /^the body is invalid: canary\.weight: /,
      ],
      [
        'POST',
        '/v1/models/penguins/versions/2/promote',
        { to: 'production', canary: { weight: 100 } },
        actor,
        'canary.weight is a percentage above 0 and below 100, not 100',
      ],
      [
        'POST',
        '/v1/models/penguins/versions/2/promote',
        { to: 'staging', canary: { weight: 10 } },
        actor,
        'canary is a way to promote to production, not to staging',
      ],
      [
        'GET',
        '/v1/models/penguins/diff?from=1',
        undefined,
        actor,
        "to must be a whole number from 1 to 1000000, not ''",
      ],
    ]
    for (const [method, path, body, headers, message] of cases) {
      const { status, body: answer } = await call(method, path, body, headers)
      expect(status, `${method} ${path}`).toBe(400)
      expect(answer.error).toMatch(message)
    }
  })

  it('answers 400 for a form that is missing a part, has an unknown one, or holds bad JSON', async () => {
    const without = versionForm(fx.good)
    without.delete('model.onnx')
    const unknown = versionForm(fx.good, { colour: 'blue' })
    const badJson = versionForm(fx.good)
    badJson.set('config.json', '{')
    const badConfig = versionForm(fx.good)
    badConfig.set('config.json', JSON.stringify({ ...fx.good.config, max_batch_size: 'many' }))
    const cases: [FormData, string | RegExp][] = [
      [without, /^the form is invalid: model\.onnx: /],
      [unknown, /Unrecognized key: "colour"/],
      [badJson, /^config\.json is not JSON/],
      [badConfig, /^config\.json is invalid: max_batch_size/],
    ]
    for (const [form, message] of cases) {
      const { status, body } = await call('POST', '/v1/models/penguins/versions', form)
      expect(status).toBe(400)
      expect(body.error).toMatch(message)
    }
  })

  it('registers a version without config.json: the defaults, inputs and outputs from the graph', async () => {
    const form = versionForm(fx.good)
    form.delete('config.json')
    form.delete('metrics.json')
    const { status, body } = await call('POST', '/v1/models/bare-penguins/versions', form)
    expect(status).toBe(201)
    expect(body).toMatchObject({ model: 'bare-penguins', version: 1, config: {}, metrics: null })
  })

  it('answers 404 for what does not exist, and 413 for a body over the limit', async () => {
    for (const path of [
      '/v1/models/nobody',
      '/v1/models/penguins/versions/9',
      '/v1/models/penguins/versions/1/files/weights.bin',
      '/v1/nothing-here',
    ]) {
      const { status, body } = await call('GET', path)
      expect(status, path).toBe(404)
      expect(body.error).toEqual(expect.any(String))
    }
    const big = versionForm(fx.good)
    big.set('reference.csv', new Blob([new Uint8Array(2 * 1024 * 1024)]))
    expect((await call('POST', '/v1/models/penguins/versions', big)).status).toBe(413)
  })

  it('answers 500 rather than serve an artifact that fails verification', async () => {
    writeFileSync(join(fx.artifactsDir, artifactKey(sha256(fx.good.onnx))), 'garbage')
    const { status, body, res } = await call(
      'GET',
      '/v1/models/penguins/versions/1/files/model.onnx',
    )
    expect(status).toBe(500)
    expect(body.error).toMatch(/has 7 bytes, not \d+ \(truncated\)/)
    expect(res.headers.get(SHA256_HEADER)).toBeNull()
  })

  it('keeps the database’s words out of its answers: 400 for a value it refused, else a bare 500', async () => {
    const failing = (error: Error) =>
      createRegistryApp({
        registry: {
          show: () => Promise.reject(error),
        } as unknown as ModelRegistry,
        logger: pino({ level: 'silent' }),
        promRegistry: createRegistryMetrics().promRegistry,
        maxBodyBytes: 1024,
        isReady: () => true,
      })
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
    })
    const bad = await failing(refused).request('/v1/models/m')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({
      error: 'a value in the request is out of range or not valid',
    })
    const broken = await failing(new Error('relation "registry_versions" does not exist')).request(
      '/v1/models/m',
    )
    expect(broken.status).toBe(500)
    expect(await broken.json()).toEqual({ error: 'internal error (logged by the registry)' })
  })

  it('reports health, and serves its metrics', async () => {
    expect((await call('GET', '/health/live')).body).toEqual({ live: true })
    expect((await call('GET', '/health/ready')).status).toBe(200)
    const { res, status } = await call('GET', '/metrics')
    expect(status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(await res.text()).toContain('# TYPE infera_registry_transitions_total counter')
  })
})
