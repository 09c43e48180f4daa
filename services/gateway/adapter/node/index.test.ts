import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashApiKey } from '../../src/auth/index.ts'
import { type GatewayConfigFile, validateGatewayConfig } from '../../src/config/index.ts'
import { scrape } from '../../src/testing/index.ts'
import { startGatewayServer } from './index.ts'
import {
  type ModelServer,
  serve,
  startModelServer,
  startTestRegistry,
  type TestRegistry,
} from './testing.ts'

const KEY = 'registry-test-key'

let registry: TestRegistry
let inference: ModelServer
const closers: (() => Promise<void>)[] = []
beforeAll(async () => {
  ;[registry, inference] = await Promise.all([startTestRegistry(), startModelServer()])
  closers.push(registry.close, inference.close)
})
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function startGateway(config: Partial<GatewayConfigFile>) {
  const gateway = await startGatewayServer({
    config: validateGatewayConfig(
      {
        auth: { api_keys: [{ tenant: 'acme', sha256: await hashApiKey(KEY), models: ['*'] }] },
        ...config,
      },
      'test config',
    ),
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  })
  closers.push(gateway.close)
  return gateway
}

/** Sends `count` inferences for `model` and tallies the version that answered each. */
async function inferMany(gateway: string, model: string, count: number) {
  const versions: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${gateway}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [] }),
    })
    expect(response.status).toBe(200)
    const { model_version } = (await response.json()) as { model_version: string }
    versions[model_version] = (versions[model_version] ?? 0) + 1
  }
  return versions
}

describe('the Node gateway following the registry', () => {
  it('splits traffic by the canary weight, and follows its removal and a promotion', async () => {
    await registry.register('m', 2)
    await registry.promote('m', 1)
    await registry.setCanary('m', 2, 50)
    inference.loaded.add('m/1').add('m/2')
    // Synced before listening: the first request already meets the canary.
    const gateway = await startGateway({
      registry: { url: registry.url, targets: [inference.url], poll_seconds: 3600 },
    })

    const split = await inferMany(gateway.url, 'm', 200)
    expect(Object.keys(split).sort()).toEqual(['1', '2'])
    expect(split['1']).toBeGreaterThan(40)
    expect(split['2']).toBeGreaterThan(40)
    // What a canary controller reads: the counts by the variant names production and canary.
    const samples = await scrape({ request: (path) => fetch(`${gateway.url}${path}`) })
    const requests = (variant: string) =>
      samples.get(
        `infera_gateway_requests_total{route="m",tenant="acme",variant="${variant}",status="200"}`,
      )
    expect(requests('production')).toBe(split['1'])
    expect(requests('canary')).toBe(split['2'])

    await registry.removeCanary('m')
    expect(await gateway.syncRegistry()).toMatchObject({ ok: true, changed: true })
    expect(await inferMany(gateway.url, 'm', 20)).toEqual({ '1': 20 })

    await registry.promote('m', 2)
    await gateway.syncRegistry()
    expect(await inferMany(gateway.url, 'm', 20)).toEqual({ '2': 20 })
  })

  it('starts with the file’s routes when the registry is down, and counts the failed sync', async () => {
    inference.loaded.add('other/1')
    const gone = await serve(() => new Response())
    await gone.close()
    const gateway = await startGateway({
      registry: { url: gone.url, targets: [inference.url] },
      routes: [
        {
          model: '*',
          variants: [{ name: 'pinned', weight: 100, targets: [inference.url], version: '1' }],
        },
      ],
    })
    expect(await inferMany(gateway.url, 'other', 1)).toEqual({ '1': 1 })
    const samples = await scrape({ request: (path) => fetch(`${gateway.url}${path}`) })
    expect(samples.get('infera_gateway_registry_syncs_total{result="error"}')).toBe(1)
  })
})
