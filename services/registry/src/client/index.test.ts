import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen } from '../../../shared/node-server/index.ts'
import { startRegistryServer } from '../adapter/node/index.ts'
import { SHA256_HEADER } from '../app/index.ts'
import { ArtifactError, sha256 } from '../artifacts/index.ts'
import { RegistryError } from '../registry/index.ts'
import {
  holdoutCsv,
  registration,
  registryWriter,
  type TrainedVersion,
  tempDir,
  trainVersion,
} from '../testing/index.ts'
import { RegistryClient } from './index.ts'
import { materialize } from './materialize.ts'

let server: Awaited<ReturnType<typeof startRegistryServer>>
let client: RegistryClient
let good: TrainedVersion
let weak: TrainedVersion
let token: string
beforeAll(async () => {
  const writer = await registryWriter('release-bot')
  token = writer.token
  server = await startRegistryServer({
    port: 0,
    host: '127.0.0.1',
    dir: tempDir('infera-registry-artifacts-'),
    logger: pino({ level: 'silent' }),
    credentials: writer.credentials,
  })
  client = new RegistryClient(`${server.url}/`, { token })
  good = await trainVersion('penguins')
  weak = await trainVersion('penguins', 1)
})
afterAll(() => server.close())

// Sent nowhere: over HTTP the token's credential is the actor.
const alice = { actor: 'alice' }

describe('the registry over HTTP', () => {
  it('answers as the registry in process does', async () => {
    const registered = await client.register(
      registration('penguins', good, { lineage: { code_version: 'abc' }, reason: 'first' }),
    )
    expect(registered).toEqual(await server.registry.version('penguins', 1))
    await client.register(registration('penguins', weak, { stage: 'staging' }))
    expect(await client.list()).toEqual(await server.registry.list())
    expect(await client.show('penguins')).toEqual(await server.registry.show('penguins'))
    expect(await client.diff('penguins', 1, 2)).toEqual(
      await server.registry.diff('penguins', 1, 2),
    )
    expect(await client.file('penguins', 1, 'model.onnx')).toEqual(good.onnx)
  })

  it('carries every transition, and the registry’s refusals with their details', async () => {
    await client.promote('penguins', 1, { ...alice, to: 'production' })
    const error = await client
      .promote('penguins', 2, {
        ...alice,
        to: 'production',
        holdoutCsv: await holdoutCsv('penguins'),
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect(error).toMatchObject({
      status: 409,
      details: { gate: { passed: false, production_version: 1 } },
    })
    await client.setAlias('penguins', 'canary', 2, { ...alice, weight: 20 })
    expect((await client.show('penguins')).aliases.canary).toMatchObject({ version: 2, weight: 20 })
    await expect(
      client.removeAlias('penguins', 'canary', { ...alice, reason: 'enough', version: 3 }),
    ).rejects.toMatchObject({ status: 409 })
    await client.removeAlias('penguins', 'canary', { ...alice, reason: 'enough', version: 2 })
    await expect(
      client.promote('penguins', 2, { ...alice, to: 'production', onlyIfCanary: true }),
    ).rejects.toMatchObject({ status: 409, message: /no longer holds the canary/ })
    const archived = await client.archive('penguins', 2, { ...alice, reason: 'worse' })
    expect(archived.audit).toMatchObject([
      { action: 'archive', actor: 'release-bot', reason: 'worse' },
    ])
    await expect(client.rollback('penguins', alice)).rejects.toMatchObject({ status: 409 })
    await expect(client.show('nobody')).rejects.toMatchObject({
      status: 404,
      message: "no model named 'nobody'",
    })
    expect((await client.show('penguins')).audit.map((e) => e.action)).toEqual([
      'register',
      'register',
      'promote',
      'set_alias',
      'remove_alias',
      'archive',
    ])
  })

  it('promotes through a canary, then to production on the canary’s gate report', async () => {
    await client.register(registration('penguins-canary', good))
    await client.register(registration('penguins-canary', good))
    await client.promote('penguins-canary', 1, { ...alice, to: 'production' })
    const canary = await client.promote('penguins-canary', 2, {
      ...alice,
      to: 'production',
      holdoutCsv: await holdoutCsv('penguins'),
      canary: { weight: 30 },
    })
    expect(canary.audit).toMatchObject([{ action: 'set_alias', details: { weight: 30 } }])
    expect((await client.show('penguins-canary')).aliases).toMatchObject({
      production: { version: 1 },
      canary: { version: 2, weight: 30 },
    })
    const promoted = await client.promote('penguins-canary', 2, { ...alice, to: 'production' })
    expect(promoted.audit[1]).toMatchObject({ action: 'promote', details: { reused: true } })
  })

  it('counts every audited transition in its metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text()
    const count = (model: string, action: string) =>
      Number(
        new RegExp(
          `^infera_registry_transitions_total\\{model="${model}",action="${action}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      )
    const audit = [
      ...(await server.registry.show('penguins')).audit,
      ...(await server.registry.show('penguins-canary')).audit,
    ]
    for (const { model, action } of audit) {
      expect(count(model, action), `${model} ${action}`).toBe(
        audit.filter((e) => e.model === model && e.action === action).length,
      )
    }
    expect(count('penguins-canary', 'set_alias')).toBe(1)
    expect(count('penguins-canary', 'register')).toBe(2)
    expect(text).toContain('process_cpu_seconds_total')
  })

  it('sends its token with every change, and reads without one', async () => {
    const anonymous = new RegistryClient(server.url)
    await expect(anonymous.rollback('penguins', alice)).rejects.toMatchObject({
      status: 401,
      message: 'this call needs a bearer token with scope registry:write',
    })
    await expect(
      new RegistryClient(server.url, { token: 'guessed' }).archive('penguins', 1, alice),
    ).rejects.toMatchObject({ status: 401, message: 'the bearer token is not valid' })
    expect(await anonymous.list()).toEqual(await client.list())
    expect(
      (await client.show('penguins')).versions.every((v) => v.created_by === 'release-bot'),
    ).toBe(true)
  })

  it('pages through the models and a model’s audit trail', async () => {
    const first = await client.listPage({ limit: 1 })
    expect(first.models.map((m) => m.name)).toEqual(['penguins'])
    expect(first.next).toBe('penguins')
    expect((await client.listPage({ after: 'penguins' })).models.map((m) => m.name)).toEqual([
      'penguins-canary',
    ])
    const { audit, total, next } = await client.audit('penguins', { limit: 2 })
    expect(total).toBe(6)
    expect(audit.map((e) => e.action)).toEqual(['remove_alias', 'archive'])
    expect((await client.audit('penguins', { before: next ?? 0 })).audit).toHaveLength(4)
  })

  it('lets the inference service’s repository follow a remote registry', async () => {
    const dir = tempDir()
    const [penguins] = await materialize(client, dir)
    expect(penguins).toMatchObject({
      name: 'penguins',
      versions: [{ version: 1, alias: 'production' }],
    })
    expect(readFileSync(join(dir, 'penguins', '1', 'model.onnx'))).toEqual(Buffer.from(good.onnx))
  })

  it('refuses a download whose bytes are not the ones the registry recorded', async () => {
    const data = new TextEncoder().encode('the real model')
    const liar = await listen(
      () =>
        new Response(new TextEncoder().encode('a swapped model'), {
          headers: { [SHA256_HEADER]: sha256(data) },
        }),
      { port: 0, host: '127.0.0.1' },
    )
    try {
      const download = new RegistryClient(liar.url).file('penguins', 1, 'model.onnx')
      await expect(download).rejects.toThrow(ArtifactError)
      await expect(download).rejects.toThrow(/is corrupt/)
    } finally {
      await liar.stop()
    }
  })
})
