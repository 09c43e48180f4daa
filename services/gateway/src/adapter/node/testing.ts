/**
 * Real servers for tests of the gateway following the registry: the model registry itself, and
 * model servers that answer for the versions they are told to have loaded.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { buildIdentityModel } from '../../../../../training/onnx/index.ts'
import { startRegistryServer } from '../../../../registry/src/adapter/node/index.ts'
import { registryWriter } from '../../../../registry/src/testing/index.ts'
import { listen } from '../../../../shared/node-server/index.ts'

/** A plain HTTP server on a free loopback port. */
export async function serve(handler: (request: Request) => Response | Promise<Response>) {
  const { url, stop } = await listen(handler, { port: 0, host: '127.0.0.1' })
  return { url, close: stop }
}

/**
 * The registry on PGlite in memory (on disk, its initdb takes several times as long) with artifacts
 * in a temporary folder, removed on close.
 */
export async function startTestRegistry({ writer: writerName = 'gateway-test' } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'infera-gateway-registry-'))
  // A writer's token, for tests that change the registry over HTTP (the canary controller's client).
  const writer = await registryWriter(writerName)
  const server = await startRegistryServer({
    port: 0,
    host: '127.0.0.1',
    dir,
    credentials: writer.credentials,
    logger: pino({ level: 'silent' }),
  })
  // The registry checks that a version loads; an identity graph is the smallest that does.
  const onnx = buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] })
  const change = { actor: 'gateway-test', reason: 'test' }
  const { registry } = server
  return {
    url: server.url,
    token: writer.token,
    /** Registers versions 1 to `count` of `model`. */
    register: async (model: string, count: number) => {
      for (let version = 1; version <= count; version++) {
        await registry.register({
          ...change,
          name: model,
          version,
          files: { 'model.onnx': onnx },
          config: {},
        })
      }
    },
    /** Forced past the gate: these models have no holdout to score. */
    promote: (model: string, version: number) =>
      registry.promote(model, version, { ...change, to: 'production', force: true }),
    rollback: (model: string) => registry.rollback(model, change),
    setCanary: (model: string, version: number, weight: number) =>
      registry.setAlias(model, 'canary', version, { ...change, weight }),
    removeCanary: (model: string) => registry.removeAlias(model, 'canary', change),
    close: async () => {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export type TestRegistry = Awaited<ReturnType<typeof startTestRegistry>>

/**
 * A model server for any model: `/v2/models/{m}/versions/{v}/ready` answers 200 for the versions
 * in `loaded` ("m/2") and 503 for others; `…/infer` on a loaded version echoes model and version,
 * and is recorded in `answered` ("m/2"), so a test sees which server a request reached.
 */
export async function startModelServer() {
  const loaded = new Set<string>()
  const answered: string[] = []
  const server = await serve(async (request) => {
    const path = new URL(request.url).pathname
    const match = /^\/v2\/models\/([^/]+)\/versions\/([^/]+)\/(ready|infer)$/.exec(path)
    if (!match) return Response.json({ error: `no route for ${path}` }, { status: 404 })
    const [, model = '', version = '', action] = match
    await request.arrayBuffer()
    if (!loaded.has(`${model}/${version}`)) {
      return Response.json({ error: `${model} ${version} is not loaded` }, { status: 503 })
    }
    if (action === 'ready') return Response.json({ name: model, ready: true })
    answered.push(`${model}/${version}`)
    return Response.json({ model_name: model, model_version: version, outputs: [] })
  })
  return { ...server, loaded, answered }
}

export type ModelServer = Awaited<ReturnType<typeof startModelServer>>
