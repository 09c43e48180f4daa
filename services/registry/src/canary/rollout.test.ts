// A canary's whole rollout with every part real: the registry service, a gateway following it,
// a model server behind the gateway whose canary version fails, and the controller reading the
// gateway's metrics — which rolls the canary back, after which the gateway sends production all.
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayServer } from '../../../gateway/src/adapter/node/index.ts'
import {
  serve,
  startTestRegistry,
  type TestRegistry,
} from '../../../gateway/src/adapter/node/testing.ts'
import { hashApiKey } from '../../../gateway/src/auth/index.ts'
import { validateGatewayConfig } from '../../../gateway/src/index.ts'
import { RegistryClient } from '../client/index.ts'
import { CanaryController, GatewayMetricsSource } from './index.ts'

const KEY = 'rollout-test-key'
const SCRAPE_TOKEN = 'rollout-scrape-token'
const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

let registry: TestRegistry
let gateway: Awaited<ReturnType<typeof startGatewayServer>>
beforeAll(async () => {
  // The controller's client holds the credential whose name the audit records.
  registry = await startTestRegistry({ writer: 'canary-controller' })
  closers.push(registry.close)
  // Both versions load; version 2 answers every inference with a 500.
  const model = await serve(async (request) => {
    await request.arrayBuffer()
    const path = new URL(request.url).pathname
    const [, version, action] = /^\/v2\/models\/m\/versions\/(\d+)\/(ready|infer)$/.exec(path) ?? []
    if (!version) return Response.json({ error: `no route for ${path}` }, { status: 404 })
    if (action === 'ready') return Response.json({ ready: true })
    if (version === '2') return Response.json({ error: 'the canary is broken' }, { status: 500 })
    return Response.json({ model_name: 'm', model_version: version, outputs: [] })
  })
  closers.push(model.close)
  await registry.register('m', 2)
  await registry.promote('m', 1)
  await registry.setCanary('m', 2, 50)
  gateway = await startGatewayServer({
    config: validateGatewayConfig(
      {
        registry: { url: registry.url, targets: [model.url], poll_seconds: 3600 },
        auth: { api_keys: [{ tenant: 'ops', sha256: await hashApiKey(KEY), models: ['*'] }] },
        metrics: { sha256: [await hashApiKey(SCRAPE_TOKEN)] },
      },
      'test config',
    ),
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  })
  closers.push(gateway.close)
})

async function statuses(count: number) {
  const seen: number[] = []
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${gateway.url}/v2/models/m/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [] }),
    })
    await response.arrayBuffer()
    seen.push(response.status)
  }
  return seen
}

describe('a failing canary, end to end', () => {
  it('is rolled back by the controller on the gateway metrics, and the gateway stops sending it traffic', async () => {
    const client = new RegistryClient(registry.url, { token: registry.token })
    const controller = new CanaryController({
      registry: client,
      metrics: new GatewayMetricsSource(gateway.url, { token: SCRAPE_TOKEN }),
      policy: { minRequests: 20, analysisSeconds: 600 },
      logger: pino({ level: 'silent' }),
    })
    // The first look takes the baseline; the traffic after it is judged.
    expect((await controller.tick()).map((d) => d.verdict)).toEqual(['wait'])
    const before = await statuses(60)
    expect(before).toContain(500)
    expect(before).toContain(200)

    const [decision] = await controller.tick()
    expect(decision).toMatchObject({ model: 'm', version: 2, verdict: 'rollback' })
    expect(decision?.errorRatio).toBeGreaterThan(0.2)
    const model = await client.show('m')
    expect(model.aliases.canary).toBeUndefined()
    expect(model.aliases.production?.version).toBe(1)
    expect(model.audit.at(-1)).toMatchObject({
      action: 'remove_alias',
      actor: 'canary-controller',
      version: 2,
    })
    expect(model.audit.at(-1)?.reason).toMatch(/errors over \d+ requests, above the SLO's 0\.1%/)

    await gateway.syncRegistry()
    expect(new Set(await statuses(30))).toEqual(new Set([200]))
  })
})
