import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayServer } from '../../../gateway/adapter/node/index.ts'
import { hashApiKey } from '../../../gateway/src/auth/index.ts'
import { validateGatewayConfig } from '../../../gateway/src/index.ts'
import { unreachableUrl } from '../testing/index.ts'
import { GatewayMetricsSource } from './index.ts'

// The canary's answers take this long: slower than the 0.25 s bucket bound, faster than 0.5 s.
const CANARY_DELAY_MS = 300
const KEYS = { acme: 'acme-key', ops: 'ops-key' }

/** A model server answering OIP infer for model m: version 1 well, version 2 slowly with 500s. */
async function startUpstream() {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      const answer = (status: number) => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify(status === 200 ? { outputs: [] } : { error: 'broken' }))
      }
      if (request.url === '/v2/models/m/versions/1/infer') answer(200)
      else if (request.url === '/v2/models/m/versions/2/infer') {
        setTimeout(() => answer(500), CANARY_DELAY_MS)
      } else answer(404)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function startGateway(upstream: string) {
  const apiKeys = await Promise.all(
    Object.entries(KEYS).map(async ([tenant, key]) => ({
      tenant,
      sha256: await hashApiKey(key),
      models: ['*'],
    })),
  )
  return startGatewayServer({
    config: validateGatewayConfig(
      {
        routes: [
          {
            model: 'm',
            retries: 0,
            variants: [
              { name: 'production', weight: 50, targets: [upstream], version: '1' },
              { name: 'canary', weight: 50, targets: [upstream], version: '2' },
            ],
          },
        ],
        auth: { api_keys: apiKeys },
      },
      'the test gateway config',
    ),
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  })
}

type Tally = Record<'production' | 'canary', { requests: number; errors: number }>

/** Sends `count` infer requests at once, tallying the answers by the variant the gateway names. */
async function infer(gateway: string, count: number, key: string, tally: Tally) {
  await Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${gateway}/v2/models/m/infer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{"inputs":[]}',
      })
      await response.arrayBuffer()
      const variant = response.headers.get('x-infera-variant') as keyof Tally
      tally[variant].requests += 1
      if (response.status >= 500) tally[variant].errors += 1
    }),
  )
}

const newTally = (): Tally => ({
  production: { requests: 0, errors: 0 },
  canary: { requests: 0, errors: 0 },
})

let upstream: { server: Server; url: string }
let gateways: Awaited<ReturnType<typeof startGateway>>[]
const tallies = [newTally(), newTally()]
beforeAll(async () => {
  upstream = await startUpstream()
  gateways = [await startGateway(upstream.url), await startGateway(upstream.url)]
  // Two replicas, two tenants each.
  for (const [i, gateway] of gateways.entries()) {
    const tally = tallies[i] as Tally
    await infer(gateway.url, 12, KEYS.acme, tally)
    await infer(gateway.url, 8, KEYS.ops, tally)
  }
})
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()))
  await new Promise((resolve) => upstream.server.close(resolve))
})

const sum = (a: Tally, b: Tally): Tally => ({
  production: {
    requests: a.production.requests + b.production.requests,
    errors: a.production.errors + b.production.errors,
  },
  canary: {
    requests: a.canary.requests + b.canary.requests,
    errors: a.canary.errors + b.canary.errors,
  },
})

describe("reading the gateway's metrics", () => {
  it('counts requests, 5xx and slow answers of each variant, over tenants and replicas', async () => {
    const [first, second] = tallies as [Tally, Tally]
    // Only a ~1 in 2^19 chance that a replica sent a variant nothing.
    expect(first.production.requests * first.canary.requests).toBeGreaterThan(0)
    expect(first.canary.errors).toBe(first.canary.requests)

    // 0.3 s is no bucket bound: 0.25 s, the one below, is used, and every canary answer is slow.
    const source = new GatewayMetricsSource(
      gateways.map((g) => g.url),
      { latencyThresholdSeconds: 0.3 },
    )
    const both = sum(first, second)
    expect(await source.read('m')).toEqual({
      production: { ...both.production, slow: expect.any(Number) },
      canary: { ...both.canary, slow: both.canary.requests },
    })

    // At the largest bound nothing local is slow; one replica alone counts its own requests.
    const one = new GatewayMetricsSource(`${gateways[0]?.url}/`, { latencyThresholdSeconds: 30 })
    expect(await one.read('m')).toEqual({
      production: { ...first.production, slow: 0 },
      canary: { ...first.canary, slow: 0 },
    })
    expect(await one.read('another-model')).toEqual({})
  })

  it('fails a read it can’t make whole, naming why', async () => {
    const url = gateways[0]?.url as string
    const down = await unreachableUrl()
    await expect(new GatewayMetricsSource([url, down]).read('m')).rejects.toThrow(
      `can't read the gateway's metrics at ${down}/metrics: connect ECONNREFUSED`,
    )
    await expect(
      new GatewayMetricsSource(url, { latencyThresholdSeconds: 0.001 }).read('m'),
    ).rejects.toThrow(
      "the gateway's infera_gateway_request_duration_seconds has no bucket at or below 0.001 s",
    )
    await expect(new GatewayMetricsSource(upstream.url).read('m')).rejects.toThrow(
      `the gateway's metrics at ${upstream.url}/metrics answered 404`,
    )
    expect(() => new GatewayMetricsSource('gateway:8080')).toThrow(
      "gateway URL 'gateway:8080' is not an http(s) URL",
    )
    expect(() => new GatewayMetricsSource([])).toThrow('name at least one gateway URL')
  })
})
