import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import pino from 'pino'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashApiKey } from '../../auth/index.ts'
import { type GatewayConfigFile, validateGatewayConfig } from '../../config/index.ts'
import { scrape, TEST_METRICS } from '../../testing/index.ts'
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
        metrics: TEST_METRICS,
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
    const samples = await scrape({ request: (path, init) => fetch(`${gateway.url}${path}`, init) })
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
    const samples = await scrape({ request: (path, init) => fetch(`${gateway.url}${path}`, init) })
    expect(samples.get('infera_registry_syncs_total{follower="gateway",result="error"}')).toBe(1)
  })
})

/** A free loopback port: listened on, then released. */
async function freePort() {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A redis-server of the test's own on `port`, resolved once it answers PING. */
async function startRedis(port: number) {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  const client = createClient({
    url: `redis://127.0.0.1:${port}`,
    socket: { reconnectStrategy: 50 },
  })
  client.on('error', () => {})
  await client.connect()
  await client.ping()
  client.destroy()
  return child
}

describe('the Node gateway with its rate limits in Redis', () => {
  it('lets requests through while Redis is down, counting it, and limits again once it is back', async () => {
    inference.loaded.add('limited/1')
    const port = await freePort()
    let redis = await startRedis(port)
    closers.push(async () => {
      redis.kill('SIGKILL')
    })
    const routes = [
      {
        model: 'limited',
        variants: [{ name: 'v1', weight: 100, targets: [inference.url], version: '1' }],
      },
    ]
    const rate_limits = { default: { rate: 0.001, burst: 2 } }
    const [open, closed] = await Promise.all([
      startGatewayServer({
        config: validateGatewayConfig(
          {
            routes,
            rate_limits,
            auth: { api_keys: [{ tenant: 'open', sha256: await hashApiKey(KEY), models: ['*'] }] },
            metrics: TEST_METRICS,
          },
          'open',
        ),
        port: 0,
        redisUrl: `redis://127.0.0.1:${port}`,
        logger: pino({ level: 'silent' }),
      }),
      startGatewayServer({
        config: validateGatewayConfig(
          {
            routes,
            rate_limits: { ...rate_limits, failure_mode_deny: true },
            auth: {
              api_keys: [{ tenant: 'closed', sha256: await hashApiKey(KEY), models: ['*'] }],
            },
          },
          'closed',
        ),
        port: 0,
        redisUrl: `redis://127.0.0.1:${port}`,
        logger: pino({ level: 'silent' }),
      }),
    ])
    closers.push(open.close, closed.close)
    const ready = (url: string) =>
      fetch(`${url}/v2/models/limited/versions/1/ready`, {
        headers: { authorization: `Bearer ${KEY}` },
      })
    // The client connects in the background: the bucket's headers say Redis has answered.
    await expect.poll(async () => (await ready(open.url)).headers.get('ratelimit-limit')).toBe('2')
    expect((await ready(open.url)).status).toBe(200)
    expect((await ready(open.url)).status).toBe(429)

    // Polls that met the client still connecting were counted too: count from here.
    const errors = async () =>
      (await scrape({ request: (path, init) => fetch(`${open.url}${path}`, init) })).get(
        'infera_gateway_rate_limit_errors_total',
      ) ?? 0
    const before = await errors()
    redis.kill('SIGKILL')
    await new Promise((resolve) => redis.once('exit', resolve))
    for (let i = 0; i < 5; i++) {
      const through = await ready(open.url)
      expect(through.status).toBe(200)
      expect(through.headers.get('ratelimit-limit')).toBeNull()
    }
    expect((await ready(closed.url)).status).toBe(503)
    expect((await errors()) - before).toBe(5)

    // A fresh, empty Redis on the same port: the client reconnects and the buckets count again.
    redis = await startRedis(port)
    await expect
      .poll(async () => (await ready(open.url)).headers.get('ratelimit-limit'), { timeout: 10_000 })
      .toBe('2')
  })
})

describe('the Node gateway and broken request bodies', () => {
  it('records a malformed chunked body as a 400, never a 500', async () => {
    inference.loaded.add('broken/1')
    const gateway = await startGateway({
      routes: [
        {
          model: 'broken',
          variants: [{ name: 'v1', weight: 100, targets: [inference.url], version: '1' }],
        },
      ],
    })
    const { port } = new URL(gateway.url)
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1')
      let received = ''
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => {
        received += chunk
      })
      socket.on('close', () => resolve(received))
      socket.on('error', reject)
      socket.end(
        `POST /v2/models/broken/infer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\n` +
          'Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      )
    })
    expect(reply).toMatch(/^HTTP\/1\.1 400 /)
    // The parser's 400 goes out at once; the gateway's handler counts its own answer after.
    const statuses = async () => {
      const samples = await scrape({
        request: (path, init) => fetch(`${gateway.url}${path}`, init),
      })
      return [...samples.keys()].filter((key) => key.includes('tenant="acme"'))
    }
    await expect
      .poll(statuses)
      .toEqual(['infera_gateway_requests_total{route="",tenant="acme",variant="",status="400"}'])
    // Refused before routing: never passed on as an empty body.
    expect(inference.answered).not.toContain('broken/1')
  })
})
