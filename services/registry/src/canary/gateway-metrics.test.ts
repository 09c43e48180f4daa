import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayServer } from '../../../gateway/src/adapter/node/index.ts'
import { hashApiKey } from '../../../gateway/src/auth/index.ts'
import { validateGatewayConfig } from '../../../gateway/src/index.ts'
import { unreachableUrl } from '../testing/index.ts'
import { GatewayMetricsSource } from './index.ts'
import { type CanaryTraffic, startCanaryTraffic, type Tally } from './testing.ts'

let traffic: CanaryTraffic
beforeAll(async () => {
  traffic = await startCanaryTraffic()
})
afterAll(() => traffic?.close())

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
    const [first, second] = traffic.tallies as [Tally, Tally]
    // Only a ~1 in 2^19 chance that a replica sent a variant nothing.
    expect(first.production.requests * first.canary.requests).toBeGreaterThan(0)
    expect(first.canary.errors).toBe(first.canary.requests)

    // 0.3 s is no bucket bound: 0.25 s, the one below, is used, and every canary answer is slow.
    const source = new GatewayMetricsSource(traffic.gateways, { latencyThresholdSeconds: 0.3 })
    const both = sum(first, second)
    expect(await source.read('m')).toEqual({
      production: { ...both.production, slow: expect.any(Number) },
      canary: { ...both.canary, slow: both.canary.requests },
    })

    // At the largest bound nothing local is slow; one replica alone counts its own requests.
    const one = new GatewayMetricsSource(`${traffic.gateways[0]}/`, { latencyThresholdSeconds: 30 })
    expect(await one.read('m')).toEqual({
      production: { ...first.production, slow: 0 },
      canary: { ...first.canary, slow: 0 },
    })
    expect(await one.read('another-model')).toEqual({})
  })

  it('fails a read it can’t make whole, naming why', async () => {
    const url = traffic.gateways[0] as string
    const down = await unreachableUrl()
    await expect(new GatewayMetricsSource([url, down]).read('m')).rejects.toThrow(
      `can't read the gateway's metrics at ${down}/metrics: connect ECONNREFUSED`,
    )
    await expect(
      new GatewayMetricsSource(url, { latencyThresholdSeconds: 0.001 }).read('m'),
    ).rejects.toThrow(
      "the gateway's infera_gateway_request_duration_seconds has no bucket at or below 0.001 s",
    )
    await expect(new GatewayMetricsSource(traffic.upstream).read('m')).rejects.toThrow(
      `the gateway's metrics at ${traffic.upstream}/metrics answered 404`,
    )
    expect(() => new GatewayMetricsSource('gateway:8080')).toThrow(
      "gateway URL 'gateway:8080' is not an http(s) URL",
    )
    expect(() => new GatewayMetricsSource([])).toThrow('name at least one gateway URL')
  })
})

describe('a gateway whose /metrics needs a scrape token', () => {
  it('is read with the token, and names the refusal without it', async () => {
    const gateway = await startGatewayServer({
      config: validateGatewayConfig(
        {
          routes: [
            {
              model: 'm',
              variants: [{ name: 'production', weight: 100, targets: [traffic.upstream] }],
            },
          ],
          metrics: { sha256: [await hashApiKey('scrape-token')] },
        },
        'the test gateway config',
      ),
      port: 0,
      logger: pino({ level: 'silent' }),
    })
    try {
      await expect(new GatewayMetricsSource(gateway.url).read('m')).rejects.toThrow(
        `the gateway's metrics at ${gateway.url}/metrics answered 401`,
      )
      const source = new GatewayMetricsSource(gateway.url, { token: 'scrape-token' })
      expect(await source.read('m')).toEqual({})
    } finally {
      await gateway.close()
    }
  })
})
