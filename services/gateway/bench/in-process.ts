// The gateway's own per-request CPU without sockets: its app and a bare Hono proxy app answer the
// same requests from the same in-memory upstream in this process, taking turns. Network, kernel and
// the load generator drop out, so what is left is the JavaScript each app runs per request — the
// figure the throughput ratio hides under the machine's noise.
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import pino from 'pino'
import { bufferedDestination } from '../../shared/logging/index.ts'
import { createGatewayApp } from '../src/app/index.ts'
import { hashApiKey } from '../src/auth/index.ts'
import { type GatewayConfigFile, validateGatewayConfig } from '../src/config/index.ts'
import type { Send } from '../src/upstream/index.ts'

// What @hono/node-server does on start: its light Request and Response replace the globals.
getRequestListener(() => new Response(null))

const answer = new TextEncoder().encode(
  JSON.stringify({
    model_name: 'tiny',
    outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 3], data: [0.1, 0.2, 0.7] }],
  }),
)
const answerHeaders = new Headers({ 'content-type': 'application/json' })
const send: Send = async () => ({ status: 200, headers: answerHeaders, body: answer })

const KEY = 'in-process-key'
const ROUNDS = 3
const REQUESTS = 20_000

type Fetch = (request: Request) => Response | Promise<Response>

function bareHono(): Fetch {
  const app = new Hono()
  app.post('*', async (c) => {
    await c.req.arrayBuffer()
    const upstream = await send('http://upstream/', {
      method: 'POST',
      headers: {},
      timeoutMs: 10_000,
      maxResponseBytes: 1 << 20,
    })
    return c.body(upstream.body, 200, { 'content-type': 'application/json' })
  })
  return app.fetch
}

/** The gateway as `npm start` configures it, logging to /dev/null through its buffered destination. */
async function gateway(): Promise<Fetch> {
  const file: GatewayConfigFile = {
    auth: { api_keys: [{ tenant: 'bench', sha256: await hashApiKey(KEY), models: ['tiny'] }] },
    rate_limits: { default: { rate: 1e9, burst: 1e9 } },
    routes: [
      {
        model: 'tiny',
        variants: [
          { name: 'stable', weight: 90, targets: ['http://stable'] },
          { name: 'canary', weight: 10, targets: ['http://canary'] },
        ],
      },
    ],
  }
  const logger = pino(bufferedDestination('/dev/null'))
  const app = createGatewayApp(validateGatewayConfig(file, 'in-process bench'), {
    send,
    log: (line) => logger.info(line, 'request'),
  })
  return app.fetch
}

const body = JSON.stringify({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
})
const request = (headers: Record<string, string>) =>
  new Request('http://127.0.0.1/v2/models/tiny/infer', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      ...headers,
    },
  })

/** CPU µs per request over `REQUESTS` answers read in full, after a warm-up. */
async function cpuPerRequest(fetch: Fetch, headers: Record<string, string>) {
  for (let i = 0; i < 2000; i++) {
    const response = await fetch(request(headers))
    if (response.status !== 200) throw new Error(`warm-up answered ${response.status}`)
    await response.arrayBuffer()
  }
  const before = process.cpuUsage()
  for (let i = 0; i < REQUESTS; i++) await (await fetch(request(headers))).arrayBuffer()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / REQUESTS
}

/** The least of `ROUNDS` turns each (the least disturbed by the rest of the machine), in µs. */
export async function inProcessCost() {
  const bare = bareHono()
  const full = await gateway()
  const bareRuns: number[] = []
  const gatewayRuns: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await cpuPerRequest(bare, {}))
    gatewayRuns.push(await cpuPerRequest(full, { authorization: `Bearer ${KEY}` }))
  }
  return { bare: Math.min(...bareRuns), gateway: Math.min(...gatewayRuns) }
}
