import type { ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { describeWith, installed, startServer } from '../../../../testing/tools/index.ts'
import { buildIdentityModel } from '../../../../training/onnx/index.ts'
import { tempDir, writeModel } from '../../../inference/src/testing/index.ts'
import { type Listening, listen } from '../../../shared/node-server/index.ts'
import { hashApiKey } from '../auth/index.ts'
import type { RouteConfigFile } from '../config/index.ts'
import { createGatewayApp, type GatewayConfigFile, validateGatewayConfig } from '../index.ts'
import { METRICS_TOKEN, TEST_METRICS } from '../testing/index.ts'

const scrapeInit = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }

// The gateway's src must run unmodified off Node; these tests run it on the real runtimes.
const root = fileURLToPath(new URL('../../../../', import.meta.url))
const KEY = 'runtime-test-key'

const identityRepo = () => {
  const repo = tempDir()
  // Batched, so KServe V1 can send instances as rows.
  writeModel(repo, 'identity', {
    onnx: buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] }),
    config: { max_batch_size: 8 },
  })
  return repo
}

/** A stand-in model registry: `identity` has version 1 in production. */
const startFakeRegistry = () =>
  listen(
    () =>
      Response.json({
        models: [{ name: 'identity', aliases: { production: { version: 1, weight: null } } }],
      }),
    { port: 0, host: '127.0.0.1' },
  )

/** Routes `identity` to `target`, and follows the registry, which pins it to version 1 there. */
const gatewayConfig = async (
  target: string,
  registry: Listening,
  route: Partial<RouteConfigFile> = {},
): Promise<GatewayConfigFile> => ({
  routes: [
    { model: 'identity', variants: [{ name: 'main', weight: 100, targets: [target] }], ...route },
  ],
  registry: { url: registry.url, targets: [target] },
  auth: { api_keys: [{ tenant: 'acme', sha256: await hashApiKey(KEY), models: ['identity'] }] },
  metrics: TEST_METRICS,
})

const oipBody = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
})
const json = { 'content-type': 'application/json' }

/** Both runtimes: no key, no model (401, still traced); liveness open. */
async function expectClosedButLive(gateway: string) {
  const res = await fetch(`${gateway}/v2/models/identity/infer`, {
    method: 'POST',
    body: oipBody,
    headers: json,
  })
  expect(res.status).toBe(401)
  expect(res.headers.get('x-request-id')).toMatch(/.+/)
  expect((await fetch(`${gateway}/v2/health/live`)).status).toBe(200)
}

describeWith(installed('deno'), 'gateway on Deno (real processes, real HTTP)', (tools) => {
  const children: ChildProcess[] = []
  let inference: string
  let registry: Listening
  let gateway: string
  let gatewayProcess: ReturnType<typeof startServer>

  beforeAll(async () => {
    registry = await startFakeRegistry()
    inference = await startServer(
      process.execPath,
      [
        'bin/infera.js',
        'inference',
        '--models',
        identityRepo(),
        '--port',
        '0',
        '--host',
        '127.0.0.1',
      ],
      children,
    ).url
    const configFile = join(tempDir(), 'gateway.json')
    writeFileSync(configFile, JSON.stringify(await gatewayConfig(inference, registry)))
    // --cached-only: the npm packages must come from node_modules, never the network.
    gatewayProcess = startServer(
      tools.deno,
      [
        'run',
        '--cached-only',
        '--allow-net',
        '--allow-read',
        '--allow-env',
        'services/gateway/src/adapter/deno/index.ts',
        '--config',
        configFile,
        '--port',
        '0',
      ],
      children,
    )
    gateway = await gatewayProcess.url
  }, 60_000)

  afterAll(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL')
    await registry?.stop()
  })

  it('proxies an OIP infer with a bearer key', async () => {
    const res = await fetch(`${gateway}/v2/models/identity/infer`, {
      method: 'POST',
      body: oipBody,
      headers: { ...json, authorization: `Bearer ${KEY}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toMatch(/.+/)
    const body = (await res.json()) as { outputs: { name: string; data: number[] }[] }
    expect(body.outputs[0]).toMatchObject({ name: 'output', data: [1, 2] })
  })

  it('proxies a KServe V1 predict with x-api-key', async () => {
    const res = await fetch(`${gateway}/v1/models/identity:predict`, {
      method: 'POST',
      body: JSON.stringify({ instances: [[3, 4]] }),
      headers: { ...json, 'x-api-key': KEY },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ predictions: [[3, 4]] })
  })

  it('refuses a request without a key, and keeps liveness open', async () => {
    await expectClosedButLive(gateway)
  })

  it('counts the requests in /metrics and logs each one', async () => {
    const text = await (await fetch(`${gateway}/metrics`, scrapeInit)).text()
    // Sums the series whose labels include all of the given ones.
    const count = (labels: string[]) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('infera_gateway_requests_total{'))
        .filter((line) => labels.every((label) => line.includes(label)))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
    expect(count(['route="identity"', 'tenant="acme"', 'status="200"'])).toBe(2)
    // Synced with the registry before listening: its route, not the file's, served them.
    expect(count(['route="identity"', 'variant="production"', 'status="200"'])).toBe(2)
    // Refused before routing, so without a route or tenant.
    expect(count(['status="401"'])).toBe(1)
    // One structured access-log line per request, through the deps.log of adapter/deno.
    expect(gatewayProcess.log()).toMatch(/"status":401/)
  })

  it('stops cleanly on SIGTERM', async () => {
    gatewayProcess.child.kill('SIGTERM')
    expect(await gatewayProcess.exited).toBe(0)
    expect(gatewayProcess.log()).toContain('gateway stopped')
  })
})

describe('gateway under workerd (miniflare)', () => {
  const servers: Server[] = []
  const seen: { server: string; path: string; authorization: string | undefined }[] = []
  let registry: Listening
  let mf: Miniflare
  let gateway: string
  let workerLog = ''

  /** A fake model server: answers every request, remembering what reached it. */
  async function fakeModelServer(name: string, delayMs = 0) {
    const server = createServer((req, res) => {
      seen.push({ server: name, path: req.url ?? '', authorization: req.headers.authorization })
      setTimeout(() => {
        res.writeHead(200, json).end(JSON.stringify({ model_name: 'identity', outputs: [] }))
      }, delayMs)
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  beforeAll(async () => {
    // Every request mirrored to a shadow slower than the primary: its answer is only read if
    // adapter/workers hands ctx to the app, since workerd cancels a request's unfinished work once the
    // response is sent unless it was passed to waitUntil.
    registry = await startFakeRegistry()
    const config = await gatewayConfig(await fakeModelServer('primary'), registry, {
      shadow: { targets: [await fakeModelServer('shadow', 500)], sample: 1 },
    })

    // Miniflare runs one ES module; the browser builds of hono, zod, jose and yaml are web-only.
    const scriptPath = join(tempDir(), 'worker.js')
    await build({
      entryPoints: [join(root, 'services/gateway/src/adapter/workers/index.ts')],
      outfile: scriptPath,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      mainFields: ['browser', 'module', 'main'],
      conditions: ['workerd', 'worker', 'browser'],
      logLevel: 'silent',
    })
    mf = new Miniflare({
      modules: true,
      scriptPath,
      // Module paths are resolved below this root, and the bundle sits outside the cwd.
      modulesRoot: dirname(scriptPath),
      compatibilityDate: '2025-01-01',
      // YAML, to cover the other config format than the Deno test's JSON.
      bindings: { GATEWAY_CONFIG: stringify(config) },
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        stdout.on('data', (chunk) => {
          workerLog += chunk
        })
        stderr.on('data', (chunk) => {
          workerLog += chunk
        })
      },
    })
    gateway = (await mf.ready).toString().replace(/\/$/, '')
  }, 60_000)

  afterAll(async () => {
    await mf?.dispose()
    for (const server of servers) server.close()
    await registry?.stop()
  })

  it('refuses a request without a key, and keeps liveness open', async () => {
    await expectClosedButLive(gateway)
    // The isolate's first request waited for its first sync with the registry: the only request
    // a model server saw is the check that the registry's version is ready.
    expect(seen).toEqual([
      {
        server: 'primary',
        path: '/v2/models/identity/versions/1/ready',
        authorization: undefined,
      },
    ])
    seen.length = 0
  })

  it('proxies a keyed request to a local upstream and mirrors it through waitUntil', async () => {
    const res = await fetch(`${gateway}/v2/models/identity/infer`, {
      method: 'POST',
      body: oipBody,
      headers: { ...json, 'x-api-key': KEY },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ model_name: 'identity', outputs: [] })
    await expect.poll(() => seen.length).toBe(2)
    // The key stays at the gateway; both servers get the same path, pinned by the registry's route.
    const path = '/v2/models/identity/versions/1/infer'
    expect(seen.sort((a, b) => a.server.localeCompare(b.server))).toEqual([
      { server: 'primary', path, authorization: undefined },
      { server: 'shadow', path, authorization: undefined },
    ])
    // Recorded only once the shadow's answer has been read and compared.
    await expect
      .poll(async () => (await fetch(`${gateway}/metrics`, scrapeInit)).text(), { timeout: 3000 })
      .toMatch(/^infera_gateway_shadow_duration_seconds_count\{[^}]*\} 1$/m)
    await expect.poll(() => workerLog).toMatch(/"event":"access".*"status":200.*"tenant":"acme"/)
  })
})

describe('discovery endpoints through a gateway (real HTTP, a real inference process)', () => {
  const children: ChildProcess[] = []
  let gateway: Listening
  const OPS_KEY = 'runtime-ops-key'

  beforeAll(async () => {
    const repo = identityRepo()
    writeModel(repo, 'twin', { onnx: buildIdentityModel({ datatype: 'FP32', shape: [1, 2] }) })
    const inference = await startServer(
      process.execPath,
      ['bin/infera.js', 'inference', '--models', repo, '--port', '0', '--host', '127.0.0.1'],
      children,
    ).url
    const config = validateGatewayConfig(
      {
        // The catch-all's models are whatever its model servers list.
        routes: [{ model: '*', variants: [{ name: 'main', weight: 100, targets: [inference] }] }],
        auth: {
          api_keys: [
            // `absent` is a model no server holds: listed nowhere.
            { tenant: 'acme', sha256: await hashApiKey(KEY), models: ['identity', 'absent'] },
            { tenant: 'ops', sha256: await hashApiKey(OPS_KEY), models: ['*'] },
          ],
        },
      },
      'discovery test config',
    )
    gateway = await listen(createGatewayApp(config, { log: () => {} }).fetch, { port: 0 })
  }, 60_000)

  afterAll(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL')
    await gateway?.stop()
  })

  const get = (path: string, key: string, method = 'GET') =>
    fetch(`${gateway.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } })

  it('answers GET /v2 with the server metadata, and 405s HEAD', async () => {
    const res = await get('/v2', KEY)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      name: 'infera-gateway',
      extensions: expect.any(Array),
    })
    expect((await get('/v2', KEY, 'HEAD')).status).toBe(405)
    expect((await fetch(`${gateway.url}/v2`)).status).toBe(401)
  })

  it("lists the inference server's models that each key may use on GET /v1/models", async () => {
    expect(await (await get('/v1/models', OPS_KEY)).json()).toEqual({
      models: ['identity', 'twin'],
    })
    expect(await (await get('/v1/models', KEY)).json()).toEqual({ models: ['identity'] })
  })
})
