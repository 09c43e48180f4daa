import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { buildIdentityModel } from '../../../../training/onnx/index.ts'
import { startRegistryServer } from '../../../registry/src/adapter/node/index.ts'
import { RegistryClient } from '../../../registry/src/index.ts'
import { tempDir } from '../../../registry/src/testing/index.ts'
import { credentialFor, generateToken } from '../../../shared/credentials/index.ts'
import { type InferenceServer, startInferenceServer } from '../adapter/node/index.ts'
import { until } from '../testing/index.ts'

const logger = pino({ level: 'silent' })
const alice = { actor: 'alice', reason: 'test' }
const onnx = buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] })
const body = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
})

const closing: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close()
})

/** A registry service with each model registered `versions` times and version 1 in production. */
async function registryWith(versions: number, models = ['m']) {
  const token = generateToken()
  const server = await startRegistryServer({
    port: 0,
    host: '127.0.0.1',
    dir: tempDir(),
    logger,
    credentials: [await credentialFor('alice', token, ['registry:write'])],
  })
  closing.push(server.close)
  const client = new RegistryClient(server.url, { token })
  for (const name of models) {
    for (let i = 0; i < versions; i++) {
      await client.register({ name, files: { 'model.onnx': onnx }, config: {}, ...alice })
    }
    await client.promote(name, 1, { ...alice, to: 'production' })
  }
  return { server, client }
}

async function inferenceFollowing(registryUrl: string, registryModels?: string[]) {
  const server = await startInferenceServer({
    modelsDir: tempDir(),
    port: 0,
    host: '127.0.0.1',
    registryUrl,
    registryModels,
    // The test syncs by itself; a version that lost its alias is served until the next sync.
    registrySyncMs: 3_600_000,
    registryDrainMs: 0,
    logger,
  })
  closing.push(server.close)
  return server as InferenceServer & { follower: NonNullable<InferenceServer['follower']> }
}

/** One request to a version of `model`: its status, and the version that answered. */
async function infer(url: string, version: number, model = 'm') {
  const response = await fetch(`${url}/v2/models/${model}/versions/${version}/infer`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  })
  const answer = (await response.json()) as { model_version?: string }
  return { status: response.status, version: answer.model_version }
}

/**
 * Requests in rounds, one to each routed version at a time, as a gateway sends them: it moves its
 * routes to a new version once that version is ready, and off an old one before it is removed.
 */
function traffic(url: string, routes: number[]) {
  const answers: { asked: number; status: number; version: string | undefined }[] = []
  let running = true
  let rounds = 0
  const loop = (async () => {
    while (running) {
      await Promise.all(
        routes.map(async (asked) => answers.push({ asked, ...(await infer(url, asked)) })),
      )
      rounds++
    }
  })()
  return {
    answers,
    /** Resolves once a whole round has gone to the new routes: none is on its way to an old one. */
    async route(next: number[]) {
      routes = next
      const after = rounds + 2
      await until(() => rounds >= after)
    },
    stop: async () => {
      running = false
      await loop
      return answers
    },
  }
}

describe('serving that follows the registry', () => {
  it('moves from version to version as the aliases do, failing no request', async () => {
    const { server: registry, client } = await registryWith(2)
    const inference = await inferenceFollowing(registry.url)
    expect(await infer(inference.url, 1)).toEqual({ status: 200, version: '1' })
    const requests = traffic(inference.url, [1])

    await client.setAlias('m', 'canary', 2, { ...alice, weight: 10 })
    await inference.follower.sync()
    expect(await infer(inference.url, 2)).toEqual({ status: 200, version: '2' })
    await requests.route([1, 2])

    await client.promote('m', 2, { ...alice, to: 'production', force: true })
    await inference.follower.sync()
    // Draining: version 1 still answers what was routed to it before the routes moved.
    expect(await infer(inference.url, 1)).toEqual({ status: 200, version: '1' })
    await requests.route([2])

    await inference.follower.sync()
    expect((await infer(inference.url, 1)).status).toBe(404)
    expect(await infer(inference.url, 2)).toEqual({ status: 200, version: '2' })
    await requests.route([2])

    const answers = await requests.stop()
    expect(answers.filter((a) => a.status !== 200 || String(a.asked) !== a.version)).toEqual([])
    expect(new Set(answers.map((a) => a.version))).toEqual(new Set(['1', '2']))
  })

  it('serves, of one registry, the models each server is given', async () => {
    const { server: registry, client } = await registryWith(2, ['cpu', 'gpu'])
    const cpu = await inferenceFollowing(registry.url, ['cpu'])
    const gpu = await inferenceFollowing(registry.url, ['gpu'])
    const answers = async (version: number) =>
      Promise.all(
        [cpu, gpu].flatMap((server) =>
          ['cpu', 'gpu'].map(async (model) => (await infer(server.url, version, model)).status),
        ),
      )
    // cpu's server: cpu, gpu; gpu's server: cpu, gpu.
    expect(await answers(1)).toEqual([200, 404, 404, 200])

    await client.setAlias('gpu', 'canary', 2, { ...alice, weight: 10 })
    await Promise.all([cpu.follower.sync(), gpu.follower.sync()])
    expect(await answers(2)).toEqual([404, 404, 404, 200])

    await expect(
      startInferenceServer({ modelsDir: tempDir(), port: 0, registryModels: ['cpu'], logger }),
    ).rejects.toThrow(/registryModels needs registryUrl/)
  })

  it('keeps serving when the registry goes away, and counts the failed syncs', async () => {
    const { server: registry } = await registryWith(1)
    const inference = await inferenceFollowing(registry.url)
    await registry.close()

    await expect(inference.follower.sync()).rejects.toThrow()
    expect(await infer(inference.url, 1)).toEqual({ status: 200, version: '1' })
    const metrics = await (await fetch(`${inference.url}/metrics`)).text()
    expect(metrics).toContain('infera_registry_syncs_total{follower="inference",result="ok"} 1')
    expect(metrics).toContain('infera_registry_syncs_total{follower="inference",result="error"} 1')
    expect(metrics).toContain('infera_registry_served_version{model="m",alias="production"} 1')

    // Starting without the registry is refused, naming it.
    await expect(inferenceFollowing(registry.url)).rejects.toThrow(
      `cannot read the model registry at ${registry.url}: connect ECONNREFUSED`,
    )
  })
})
