import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readJson } from '../services/inference/src/testing/index.ts'
import type { ModelView } from '../services/registry/src/index.ts'
import { RegistryClient, readVersionFolder } from '../services/registry/src/index.ts'
import { bearer } from '../services/shared/credentials/index.ts'
import { type Platform, startPlatform } from '../testing/platform.ts'

const run = promisify(execFile)

let platform: Platform
beforeAll(async () => {
  platform = await startPlatform({ apiKey: 'test-key-1' })
})
afterAll(() => platform?.stop('SIGKILL'))

const penguin = {
  bill_length_mm: 50,
  bill_depth_mm: 15.2,
  flipper_length_mm: 218,
  body_mass_g: 5700,
  island: 'Biscoe',
  sex: 'MALE',
}

/** `infera start` in a child process; resolves with its exit code and what it printed. */
async function startAgain(env: Record<string, string>) {
  return run(process.execPath, ['bin/infera.js', 'start'], {
    env: {
      ...process.env,
      PORT: '0',
      DRIFT_PORT: '0',
      INFERENCE_PORT: '0',
      REGISTRY_PORT: '0',
      ...env,
    },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }),
  )
}

describe('infera start refuses what would fail later, before it trains', () => {
  it('names a platform already running under the same INFERA_HOME', async () => {
    const { code, output } = await startAgain({ INFERA_HOME: platform.home })
    expect(code).toBe(1)
    expect(output).toMatch(
      new RegExp(
        `Infera is already running under ${platform.home} \\(pid ${platform.child.pid}, since .*\\): gateway ${platform.gateway}\\.`,
      ),
    )
    expect(output).not.toMatch(/\n\s+at /)
  })

  it('names a busy port and the variable that moves it, without a stack trace', async () => {
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const { port } = busy.address() as AddressInfo
    try {
      for (const variable of ['PORT', 'REGISTRY_PORT']) {
        const home = mkdtempSync(join(tmpdir(), 'infera-busy-'))
        const { code, output } = await startAgain({ INFERA_HOME: home, [variable]: String(port) })
        expect(code).toBe(1)
        const service = variable === 'PORT' ? 'gateway' : 'registry'
        expect(output).toContain(
          `port ${port} (the ${service}'s) on 127.0.0.1 is in use by another process: set ${variable} to a free port`,
        )
        expect(output).not.toMatch(/\n\s+at |EADDRINUSE/)
        // Refused before training or opening anything.
        expect(readdirSync(home)).toEqual([])
      }
    } finally {
      busy.close()
    }
  })
})

describe('infera start (npm start)', () => {
  it('registers and promotes the demo models, serves them behind the gateway, captures predictions and stops cleanly', async () => {
    const url = platform.gateway
    const output = platform.output()
    expect(output).toContain('training the demo models')
    // Progress per demo model, with its epochs and how it scored.
    expect(output).toMatch(
      /training penguins \(1\/3\), 100 epochs \.\.\. done in [\d.]+ s: holdout accuracy/,
    )
    expect(output).toMatch(
      /training mpg \(2\/3\), 100 epochs \.\.\. done in [\d.]+ s: holdout RMSE/,
    )
    expect(output).toMatch(/registered and promoted: +penguins, mpg, weather/)

    // The registry holds the database: `infera models` goes through the running service.
    const { stdout } = await run(process.execPath, ['bin/infera.js', 'models', 'list', '--json'], {
      env: { ...process.env, INFERA_HOME: platform.home },
    })
    const { models } = JSON.parse(stdout) as { models: ModelView[] }
    expect(models.map((m) => [m.name, m.aliases.production?.version])).toEqual([
      ['mpg', 1],
      ['penguins', 1],
      ['weather', 1],
    ])
    expect(models[1]?.audit.map((e) => [e.action, e.actor])).toEqual([
      ['register', 'infera start'],
      ['promote', 'infera start'],
    ])
    const predict = await fetch(`${url}/v1/models/penguins:predict`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'e2e-1',
        authorization: 'Bearer test-key-1',
      },
      body: JSON.stringify({ instances: [penguin] }),
    })
    expect((await readJson(predict)).body).toEqual({ predictions: ['Gentoo'] })
    const mpg = await fetch(`${url}/v2/models/mpg/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key-1' },
      body: JSON.stringify({
        inputs: [
          { name: 'features', datatype: 'FP32', shape: [1, 5], data: [8, 350, 165, 3693, 11.5] },
        ],
      }),
    })
    const [gallons] = (await readJson(mpg)).body.outputs[0].data
    expect(gallons).toBeGreaterThan(8)
    expect(gallons).toBeLessThan(25)
    const ready = await fetch(`${url}/v2/models/weather/ready`, {
      headers: { 'x-api-key': 'test-key-1' },
    })
    expect(ready.status).toBe(200)
    // The gateway is closed by default; its own health endpoints are open.
    expect((await fetch(`${url}/v2/models/weather/ready`)).status).toBe(401)
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200)
    expect(output).toContain('development API key:                            test-key-1')

    // Captured predictions reach the drift service, which watches them against the reference.
    const driftModels = `${platform.drift}/v1/drift/models`
    // Drift lists a production model as soon as it loads its reference: wait for the row itself.
    let monitored: Array<{ model: string; rows_seen?: number }> = []
    const seen = () => monitored.some((m) => m.model === 'penguins' && (m.rows_seen ?? 0) > 0)
    for (let i = 0; i < 50 && !seen(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      monitored = (await readJson(await fetch(driftModels))).body.models
    }
    expect(monitored.find((m) => m.model === 'penguins')).toMatchObject({ rows_seen: 1 })

    await expectClosedToOutsiders()

    // The access logs went to files: the banner is still the last thing on the terminal.
    const printed = platform.output()
    expect(printed.trimEnd().endsWith('Stop with Ctrl-C.')).toBe(true)
    expect(printed).not.toContain('"msg":"request"')
    expect(printed).toMatch(/Infera is running \(ready in [\d.]+ s\)/)
    expect(printed).toContain(join(platform.home, 'logs', 'gateway.log'))
    const running = JSON.parse(readFileSync(join(platform.home, 'platform.json'), 'utf8'))
    expect(running).toMatchObject({ pid: platform.child.pid, urls: { gateway: platform.gateway } })

    expect(await platform.stop('SIGINT')).toBe(0)
    expect(readFileSync(join(platform.home, 'logs', 'gateway.log'), 'utf8')).toContain('e2e-1')
    expect(existsSync(join(platform.home, 'platform.json'))).toBe(false)
    // The tokens lasted as long as the platform.
    expect(existsSync(join(platform.home, 'credentials.json'))).toBe(false)
    // Served from the registry's production version, materialized under INFERA_HOME.
    expect(readdirSync(join(platform.home, 'serving', 'penguins'))).toEqual(['1', 'config.json'])
    const captured = join(platform.home, 'capture', 'penguins', '1')
    const [file] = readdirSync(captured)
    const row = JSON.parse(
      readFileSync(join(captured, file as string), 'utf8').split('\n')[0] as string,
    )
    expect(row).toMatchObject({ request_id: 'e2e-1', features: penguin, prediction: 'Gentoo' })
  })
})

/**
 * What issue 12 found open: the services listening on every interface, and the registry's and
 * drift's changes taken from anyone. Only the platform's own tokens change what is served.
 */
async function expectClosedToOutsiders() {
  // Loopback by default: another interface's address gets no answer.
  const outside = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address
  if (outside) {
    for (const service of [platform.gateway, platform.registry, platform.drift]) {
      const { port } = new URL(service)
      await expect(fetch(`http://${outside}:${port}/health/live`)).rejects.toThrow()
    }
  }

  // The client tokens, owner-only, under INFERA_HOME.
  const file = join(platform.home, 'credentials.json')
  expect(statSync(file).mode & 0o777).toBe(0o600)
  expect(Object.keys(platform.tokens).sort()).toEqual([
    'INFERA_GATEWAY_METRICS_TOKEN',
    'INFERA_LABELS_TOKEN',
    'INFERA_REGISTRY_TOKEN',
  ])
  // The gateway's metrics name tenants and upstreams: its scrape token reads them, a tenant's
  // API key does not.
  const metrics = (headers: Record<string, string>) =>
    fetch(`${platform.gateway}/metrics`, { headers }).then((r) => r.status)
  expect(await metrics(bearer(platform.tokens.INFERA_GATEWAY_METRICS_TOKEN))).toBe(200)
  expect(await metrics(bearer(platform.apiKey))).toBe(401)
  expect(await metrics({})).toBe(401)

  // No token, no change: the registry refuses before reading the files.
  const version = await readVersionFolder(join(platform.home, 'build', 'mpg', '1'))
  const change = { name: 'mpg', ...version, actor: 'canary-controller', reason: 'e2e' }
  await expect(new RegistryClient(platform.registry).register(change)).rejects.toMatchObject({
    status: 401,
  })
  await expect(
    new RegistryClient(platform.registry, { token: platform.tokens.INFERA_LABELS_TOKEN }).register(
      change,
    ),
  ).rejects.toMatchObject({ status: 401 })
  // The operator's token registers, audited as the operator whatever the caller claims.
  const operator = new RegistryClient(platform.registry, {
    token: platform.tokens.INFERA_REGISTRY_TOKEN,
  })
  expect(await operator.register(change)).toMatchObject({ version: 2 })
  expect((await operator.show('mpg')).audit.at(-1)).toMatchObject({
    action: 'register',
    version: 2,
    actor: 'operator',
  })

  // Drift learns from the model servers' captures and the labeller's labels only.
  const records = `${platform.drift}/v1/drift/penguins/records`
  const labels = `${platform.drift}/v1/drift/penguins/labels`
  const post = (url: string, token?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify([{ request_id: 'e2e-1', label: 'Gentoo' }]),
    })
  expect((await post(records)).status).toBe(401)
  expect((await post(labels)).status).toBe(401)
  expect((await post(labels, platform.tokens.INFERA_REGISTRY_TOKEN)).status).toBe(401)
  expect((await post(labels, platform.tokens.INFERA_LABELS_TOKEN)).status).toBeLessThan(300)
}
