/**
 * Real gateways for the canary metrics sources' tests: replicas routing model m to a production
 * and a canary variant on one model server, with traffic through each from two tenants.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { startGatewayServer } from '../../../gateway/src/adapter/node/index.ts'
import { hashApiKey } from '../../../gateway/src/auth/index.ts'
import { validateGatewayConfig } from '../../../gateway/src/index.ts'

/** The canary's answers take this long: slower than the 0.25 s bucket bound, faster than 0.5 s. */
const CANARY_DELAY_MS = 300
const KEYS = { acme: 'acme-key', ops: 'ops-key' }

/** Each variant's answers as the client saw them. */
export type Tally = Record<'production' | 'canary', { requests: number; errors: number }>

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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
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
        // These test gateways' /metrics stay open: readers without a token are tested elsewhere.
        auth: { api_keys: apiKeys, open_paths: ['/metrics'] },
      },
      'the test gateway config',
    ),
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  })
}

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

export interface CanaryTraffic {
  /** The model server's URL. */
  upstream: string
  /** Each replica's URL. */
  gateways: string[]
  /** What each replica answered, by variant. */
  tallies: Tally[]
  close: () => Promise<void>
}

/**
 * The model server and `replicas` gateways in front of it, each sent 20 requests from two tenants;
 * every request has been counted by its gateway when this resolves (the gateway counts a request
 * before it answers it).
 */
export async function startCanaryTraffic(replicas = 2): Promise<CanaryTraffic> {
  const upstream = await startUpstream()
  const gateways = await Promise.all(
    Array.from({ length: replicas }, () => startGateway(upstream.url)),
  )
  const tallies: Tally[] = []
  for (const gateway of gateways) {
    const tally: Tally = {
      production: { requests: 0, errors: 0 },
      canary: { requests: 0, errors: 0 },
    }
    await infer(gateway.url, 12, KEYS.acme, tally)
    await infer(gateway.url, 8, KEYS.ops, tally)
    tallies.push(tally)
  }
  return {
    upstream: upstream.url,
    gateways: gateways.map((g) => g.url),
    tallies,
    close: async () => {
      await Promise.all(gateways.map((gateway) => gateway.close()))
      await upstream.close()
    },
  }
}
