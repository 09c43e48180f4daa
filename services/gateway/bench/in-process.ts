// The gateway's own per-request CPU without sockets: its app (with its features on, then off one
// by one) and a bare Hono proxy app answer the same requests from the same in-memory upstream, each
// in a process of its own, taking turns. Network, kernel and the load generator drop out, so what
// is left is the JavaScript each app runs per request — the figure the throughput ratio hides under
// the machine's noise — and what each feature adds to it.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
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
const PATH = '/v2/models/tiny/infer'
const ROUNDS = 3
const REQUESTS = 30_000

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

/** What `npm start` turns on beyond routing, each of which the ablation below turns off in turn. */
interface Features {
  accessLog: boolean
  rateLimit: boolean
  auth: boolean
  canary: boolean
}

const ALL: Features = { accessLog: true, rateLimit: true, auth: true, canary: true }

/**
 * The gateway as `npm start` configures it, logging to /dev/null through its buffered destination,
 * with any of `features` off: no access log line, no rate limit, an open path, a single variant.
 */
async function gateway(features: Features): Promise<Fetch> {
  const stable = { name: 'stable', weight: 90, targets: ['http://stable'] }
  const file: GatewayConfigFile = {
    auth: features.auth
      ? { api_keys: [{ tenant: 'bench', sha256: await hashApiKey(KEY), models: ['tiny'] }] }
      : { open_paths: [PATH] },
    ...(features.rateLimit && { rate_limits: { default: { rate: 1e9, burst: 1e9 } } }),
    routes: [
      {
        model: 'tiny',
        variants: features.canary
          ? [stable, { name: 'canary', weight: 10, targets: ['http://canary'] }]
          : [{ ...stable, weight: 100 }],
      },
    ],
  }
  const logger = pino(bufferedDestination('/dev/null'))
  const app = createGatewayApp(validateGatewayConfig(file, 'in-process bench'), {
    send,
    log: features.accessLog ? (line) => logger.info(line, 'request') : () => {},
  })
  return app.fetch
}

const body = JSON.stringify({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
})
const request = (headers: Record<string, string>) =>
  new Request(`http://127.0.0.1${PATH}`, {
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

/** Each feature off in turn, cumulatively: what it cost is the step it saves. */
const ABLATION: { feature: string; off: Partial<Features> }[] = [
  { feature: 'access log line (pino, buffered)', off: { accessLog: false } },
  { feature: 'rate limit (in-process buckets, RateLimit-* headers)', off: { rateLimit: false } },
  { feature: 'auth (API key)', off: { auth: false } },
  { feature: 'canary split (two weighted variants)', off: { canary: false } },
]

/** The apps measured: the bare Hono proxy, then the gateway with none, one, … of `ABLATION` off. */
async function app(index: number): Promise<{ fetch: Fetch; headers: Record<string, string> }> {
  if (index === 0) return { fetch: bareHono(), headers: {} }
  let features = ALL
  for (const step of ABLATION.slice(0, index - 1)) features = { ...features, ...step.off }
  return {
    fetch: await gateway(features),
    headers: features.auth ? { authorization: `Bearer ${KEY}` } : {},
  }
}

const CHILD = '--child'

/** One app's µs per request, in a process of its own: its call sites see only its shapes. */
async function measureInChild(index: number): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, CHILD, `${index}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk
  })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`in-process bench child ${index} exited with ${code}`)
  return Number(out)
}

/**
 * The least of `ROUNDS` turns each (the least disturbed by the rest of the machine), in µs: the
 * bare Hono proxy, the gateway, and the gateway with the features of `ABLATION` off one by one
 * (`steps[i]` has the first i + 1 off), the last of which leaves what every proxied request pays
 * (request id, trace context, metrics, body limit, route lookup, the middleware chain). Each app
 * runs in a fresh process, the apps taking turns: in one process the gateway's variants would
 * share call sites, and each would run slower for the shapes of the others.
 */
export async function inProcessCost() {
  const runs = Array.from({ length: ABLATION.length + 2 }, () => [] as number[])
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, run] of runs.entries()) run.push(await measureInChild(i))
  }
  const [bare = 0, full = 0, ...steps] = runs.map((r) => Math.min(...r))
  return {
    bare,
    gateway: full,
    steps: ABLATION.map(({ feature }, i) => ({
      feature,
      without: steps[i] ?? 0,
      saves: (i === 0 ? full : (steps[i - 1] ?? 0)) - (steps[i] ?? 0),
    })),
  }
}

if (process.argv[2] === CHILD) {
  const { fetch, headers } = await app(Number(process.argv[3]))
  process.stdout.write(String(await cpuPerRequest(fetch, headers)))
}
