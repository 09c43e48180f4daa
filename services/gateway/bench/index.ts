// npm run bench:gateway [-- --short] [-- --profile] — what the gateway costs in front of inference.
// One run measures, on the same machine at the same time: the same autocannon load direct, through
// two floors (a bare node:http proxy and a bare Hono proxy) and through the gateway as `npm start`
// configures it (on 1 and 2 Node workers, and on Deno), each proxy's CPU per request; the bare
// Hono proxy and the gateway again in paired rounds, whose median is the throughput target's
// figure; the added latency at half the gateway's peak rate (open loop, microsecond timing), the
// bare Hono proxy's beside it; the canary share; and each app's CPU per request without sockets,
// with the gateway's features off one by one (./in-process.ts).
// --short: 3 s per load instead of BENCH_DURATION (10 s). --profile: a --cpu-prof run of the
// gateway under the c=32 load, summarised by ./profile.ts.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { denoExecutable } from '../../../testing/tools/index.ts'
import { buildMlp } from '../../../training/onnx/index.ts'
import { hashApiKey } from '../src/auth/index.ts'
import type { GatewayConfigFile } from '../src/config/index.ts'

const SHORT = process.argv.includes('--short')
const PROFILE = process.argv.includes('--profile')
// Before the helpers read it.
if (SHORT) process.env.BENCH_DURATION = '3'
const { cpuMicros, DURATION, inferBody, load, median, root, start, startInfera, warm, writeModel } =
  await import('../../shared/bench/index.ts')
type Server = Awaited<ReturnType<typeof start>>

const PATH = '/v2/models/tiny/infer'
const API_KEY = 'bench-key'
const SCRAPE_TOKEN = 'bench-scrape-token'
const CONNECTIONS = 32
const CANARY_WEIGHT = 10
const DENO = denoExecutable()

/** `infera gateway` with its access log in a file, as a deployment's would go to its log driver. */
function startGateway(
  dir: string,
  name: string,
  config: string,
  nodeFlags: string[] = [],
  workers = 1,
) {
  return start(
    name,
    [
      ...nodeFlags,
      ...['bin/infera.js', 'gateway', '--config', config, '--workers', String(workers)],
      ...['--port', '0', '--host', '127.0.0.1'],
    ],
    { log: join(dir, `${name}.log`) },
  )
}

/** Warm-up, then the c=32 load, with the CPU the server used over the load alone. */
async function measure(
  label: string,
  server: Server,
  headers: Record<string, string>,
  body: string,
  seconds = DURATION,
) {
  await warm(server.port, PATH, body, headers)
  const pid = server.process.pid as number
  const before = cpuMicros(pid)
  const result = await load(server.port, PATH, body, CONNECTIONS, undefined, headers, seconds)
  const cpuPerRequest = (cpuMicros(pid) - before) / Math.max(1, result.requests)
  console.error(
    `${label.padEnd(32)} ${result.rps.toFixed(0).padStart(7)} req/s  errors ${result.errors}`,
  )
  return { label, ...result, cpuPerRequest }
}

const PAIRED_ROUNDS = 5

/**
 * The bare Hono proxy and the gateway in turns, `PAIRED_ROUNDS` times, half a load each: the
 * throughput and CPU ratios of each round. A machine whose load drifts moves a lone pair of runs
 * by a third; rounds taken back to back see the same drift, and their median little of it.
 */
async function pairedRounds(
  floor: Server,
  gateway: Server,
  body: string,
  headers: Record<string, string>,
) {
  const seconds = Math.max(1, Math.round(DURATION / 2))
  const rounds: { throughput: number; cpu: number }[] = []
  for (let round = 1; round <= PAIRED_ROUNDS; round++) {
    const bare = await measure(`bare Hono proxy, round ${round}`, floor, {}, body, seconds)
    const full = await measure(`gateway, round ${round}`, gateway, headers, body, seconds)
    rounds.push({ throughput: full.rps / bare.rps, cpu: full.cpuPerRequest / bare.cpuPerRequest })
  }
  const range = (values: number[]) =>
    `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`
  const throughput = rounds.map((r) => r.throughput)
  const cpu = rounds.map((r) => r.cpu)
  return {
    seconds,
    throughput: median(throughput),
    throughputRange: range(throughput),
    cpu: median(cpu),
    cpuRange: range(cpu),
  }
}

interface OpenLoop {
  sent: number
  failed: number
  p50: number
  p99: number
  /** Seconds from the last request due to its answer: over a second means the rate was too high. */
  tail: number
}

/** The fixed-rate load from ./open-loop.ts, in its own process, the paths taking turns. */
async function openLoop(
  rate: number,
  body: string,
  paths: { port: number; headers: Record<string, string> }[],
) {
  const targets = paths.map(({ port, headers }) => ({
    url: `http://127.0.0.1:${port}${PATH}`,
    headers,
  }))
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'services/gateway/bench/open-loop.ts'],
      ...[String(rate), String(DURATION), body, JSON.stringify(targets)],
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk
  })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`open-loop load exited with ${code}`)
  return JSON.parse(out) as OpenLoop[]
}

/** Share of a route's 200s each variant took, from the gateway's own (summed) /metrics. */
async function canaryShare(port: number) {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { authorization: `Bearer ${SCRAPE_TOKEN}` },
  })
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`)
  const counts = { stable: 0, canary: 0 }
  for (const line of (await response.text()).split('\n')) {
    const match =
      /^infera_gateway_requests_total\{.*variant="(stable|canary)",status="200"\} (\S+)$/.exec(line)
    if (match) counts[match[1] as 'stable' | 'canary'] += Number(match[2])
  }
  return {
    requests: counts.stable + counts.canary,
    share: (counts.canary / (counts.stable + counts.canary)) * 100,
  }
}

/** A --cpu-prof run of the one-worker gateway under the c=32 load; the profile's path. */
async function profileGateway(
  dir: string,
  config: string,
  body: string,
  headers: Record<string, string>,
) {
  const profiles = join(dir, 'profiles')
  mkdirSync(profiles)
  const gateway = await startGateway(dir, 'gateway-profiled', config, [
    '--cpu-prof',
    '--cpu-prof-dir',
    profiles,
  ])
  await measure('gateway, profiled', gateway, headers, body)
  // The profile is written as the process exits, which SIGTERM makes it do after draining.
  gateway.process.kill('SIGTERM')
  await once(gateway.process, 'exit')
  const [file] = readdirSync(profiles).filter((name) => name.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no .cpuprofile in ${profiles}`)
  return join(profiles, file)
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'infera-gateway-bench-'))
  writeModel(
    dir,
    'tiny',
    buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: true }),
    { max_batch_size: 64 },
  )
  const servers: Server[] = []
  try {
    const inference = await startInfera('inference', dir)
    servers.push(inference)
    const target = `http://127.0.0.1:${inference.port}`
    // As `npm start` runs it: API keys, a rate limit (far above what two cores serve, so every
    // request takes a token and none is refused), a 90/10 canary split over the same server (so
    // only the gateway's choice is measured), metrics; request ids and the access log are always on.
    const config: GatewayConfigFile = {
      auth: {
        api_keys: [{ tenant: 'bench', sha256: await hashApiKey(API_KEY), models: ['tiny'] }],
      },
      rate_limits: { default: { rate: 1_000_000, burst: 1_000_000 } },
      // A scrape token is hashed the way an API key is.
      metrics: { sha256: [await hashApiKey(SCRAPE_TOKEN)] },
      routes: [
        {
          model: 'tiny',
          variants: [
            { name: 'stable', weight: 100 - CANARY_WEIGHT, targets: [target] },
            { name: 'canary', weight: CANARY_WEIGHT, targets: [target] },
          ],
        },
      ],
    }
    const configFile = join(dir, 'gateway.json')
    writeFileSync(configFile, JSON.stringify(config))

    const auth = { authorization: `Bearer ${API_KEY}` }
    const body = inferBody(4)
    const started = async (server: Promise<Server>) => {
      const s = await server
      servers.push(s)
      return s
    }
    const rawProxy = await started(
      start('raw-proxy', ['services/gateway/bench/raw-proxy.ts', target]),
    )
    const honoProxy = await started(
      start('hono-proxy', ['services/gateway/bench/hono-proxy.ts', target]),
    )
    const gateway = await started(startGateway(dir, 'gateway', configFile))
    const gateway2 = await started(startGateway(dir, 'gateway-2-workers', configFile, [], 2))
    const deno = DENO
      ? await started(
          start(
            'gateway-deno',
            [
              ...['run', '--allow-net', '--allow-read', '--allow-env'],
              ...['services/gateway/src/adapter/deno/index.ts', '--config', configFile],
              ...['--port', '0', '--host', '127.0.0.1'],
            ],
            { executable: DENO, log: join(dir, 'gateway-deno.log') },
          ),
        )
      : undefined

    const direct = await measure('inference, direct', inference, {}, body)
    const viaRaw = await measure('bare node:http proxy', rawProxy, {}, body)
    const viaHono = await measure('bare Hono proxy', honoProxy, {}, body)
    const viaGateway = await measure('gateway, Node, 1 worker', gateway, auth, body)
    const viaGateway2 = await measure('gateway, Node, 2 workers', gateway2, auth, body)
    const viaDeno = deno ? await measure('gateway, Deno.serve', deno, auth, body) : undefined
    const paired = await pairedRounds(honoProxy, gateway, body, auth)
    const canary = await canaryShare(gateway.port)
    const canary2 = await canaryShare(gateway2.port)

    // Half the gateway's own peak: the latency it adds when it is not the bottleneck.
    const rate = Math.floor(viaGateway.rps / 2)
    // The bare Hono proxy at the same rate: the latency the framework's floor adds on this
    // machine before any of the gateway's features.
    const [directOpen, honoOpen, gatewayOpen] = (await openLoop(rate, body, [
      { port: inference.port, headers: {} },
      { port: honoProxy.port, headers: {} },
      { port: gateway.port, headers: auth },
    ])) as [OpenLoop, OpenLoop, OpenLoop]

    const rows = [direct, viaRaw, viaHono, viaGateway, viaGateway2, ...(viaDeno ? [viaDeno] : [])]
    const ms = (n: number) => n.toFixed(3)
    console.log(
      `\n| path (tiny, single row, autocannon c=${CONNECTIONS}, ${DURATION} s) | req/s | p50 ms | p99 ms | errors | CPU µs/request |`,
    )
    console.log('|---|---:|---:|---:|---:|---:|')
    for (const r of rows) {
      console.log(
        `| ${r.label} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.cpuPerRequest.toFixed(0)} |`,
      )
    }
    console.log(
      '\nCPU µs/request: user + system time of the process under test over the load (the model server for direct; the proxy, all its workers, otherwise), from /proc, over the requests autocannon completed.',
    )
    console.log(
      `\n| open loop, ${rate} req/s (half the 1-worker gateway's peak), ${DURATION} s each, the paths taking turns by the second | p50 ms | p99 ms | failed | tail s |`,
    )
    console.log('|---|---:|---:|---:|---:|')
    for (const [label, r] of [
      ['inference, direct', directOpen],
      ['bare Hono proxy → inference', honoOpen],
      ['gateway → inference', gatewayOpen],
    ] as const) {
      console.log(`| ${label} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.failed} | ${r.tail.toFixed(2)} |`)
    }

    const addedP50 = gatewayOpen.p50 - directOpen.p50
    const addedP99 = gatewayOpen.p99 - directOpen.p99
    const ratio = paired.throughput
    const verdict = (ok: boolean) => (ok ? 'met' : '**not met**')
    // Answers still coming well after the last request was due: the rate was not below what the
    // machine (shared, its load drifting) could serve then, so the latencies say nothing.
    const saturated = [directOpen, honoOpen, gatewayOpen].some((r) => r.tail > 1)
    const latencyVerdict = (ok: boolean) =>
      saturated ? 'not judged: saturated, rerun on a quieter machine' : verdict(ok)
    console.log('\n| target | measured | goal | |')
    console.log('|---|---:|---:|---|')
    console.log(
      `| throughput: gateway (1 worker) / bare Hono proxy, median of ${PAIRED_ROUNDS} paired rounds of ${paired.seconds} s (${paired.throughputRange}×) | ${ratio.toFixed(2)}× | ≥ 0.85× | ${verdict(ratio >= 0.85)} |`,
    )
    console.log(
      `| the same from the single runs above | ${(viaGateway.rps / viaHono.rps).toFixed(2)}× | — | |`,
    )
    console.log(
      `| added p50 at half the gateway's peak | ${ms(addedP50)} ms | ≤ 1 ms | ${latencyVerdict(addedP50 <= 1)} |`,
    )
    console.log(
      `| added p99 at half the gateway's peak | ${ms(addedP99)} ms | ≤ 5 ms | ${latencyVerdict(addedP99 <= 5)} |`,
    )
    console.log(
      `| added p50 / p99 at the same rate by the bare Hono proxy (the framework's floor) | ${ms(honoOpen.p50 - directOpen.p50)} / ${ms(honoOpen.p99 - directOpen.p99)} ms | — | |`,
    )
    console.log(
      `| canary share, 1 worker (${canary.requests} requests, ${100 - CANARY_WEIGHT}/${CANARY_WEIGHT}) | ${canary.share.toFixed(2)}% | ${CANARY_WEIGHT}% ± 2 pp | ${verdict(Math.abs(canary.share - CANARY_WEIGHT) <= 2)} |`,
    )
    console.log(
      `| canary share, 2 workers' summed /metrics (${canary2.requests} requests) | ${canary2.share.toFixed(2)}% | ${CANARY_WEIGHT}% ± 2 pp | ${verdict(Math.abs(canary2.share - CANARY_WEIGHT) <= 2)} |`,
    )
    console.log(
      `| gateway CPU per request / bare Hono proxy's, median of the paired rounds (${paired.cpuRange}×) | ${paired.cpu.toFixed(2)}× | — | |`,
    )
    console.log(
      `| bare Hono proxy / bare node:http proxy (the framework's floor) | ${(viaHono.rps / viaRaw.rps).toFixed(2)}× | — | |`,
    )
    console.log(
      `| gateway, 2 workers / 1 worker | ${(viaGateway2.rps / viaGateway.rps).toFixed(2)}× | — | |`,
    )
    if (viaDeno)
      console.log(
        `| gateway, Deno / Node (1 worker) | ${(viaDeno.rps / viaGateway.rps).toFixed(2)}× | — | |`,
      )
    console.log(
      `| gateway / direct (withdrawn target, for the record) | ${(viaGateway.rps / direct.rps).toFixed(2)}× | — | |`,
    )

    // Without sockets, each app's JavaScript alone (./in-process.ts).
    const { inProcessCost } = await import('./in-process.ts')
    const app = await inProcessCost()
    console.log(
      `| in-process app CPU per request: gateway ${app.gateway.toFixed(1)} µs / bare Hono ${app.bare.toFixed(1)} µs | ${(app.gateway / app.bare).toFixed(2)}× | — | |`,
    )
    console.log(
      '\n| in-process, the gateway with each feature off in turn (cumulative) | µs / request | saves µs |',
    )
    console.log('|---|---:|---:|')
    console.log(`| gateway, all on | ${app.gateway.toFixed(1)} | |`)
    for (const step of app.steps) {
      console.log(`| − ${step.feature} | ${step.without.toFixed(1)} | ${step.saves.toFixed(1)} |`)
    }
    const rest = app.steps.at(-1)?.without ?? app.gateway
    console.log(
      `| bare Hono proxy (the rest, ${(rest - app.bare).toFixed(1)} µs: request id, trace context, metrics, body limit, route lookup, the middleware chain) | ${app.bare.toFixed(1)} | |`,
    )

    if (PROFILE) {
      // After the tables: the others have stopped loading the machine, and a failure here loses nothing.
      const profile = await profileGateway(dir, configFile, body, auth)
      const summarizer = join(import.meta.dirname, 'profile.ts')
      console.log(`\nCPU profile of the gateway under the c=${CONNECTIONS} load: ${profile}\n`)
      if (existsSync(summarizer)) {
        const { summarizeProfile } = (await import(summarizer)) as {
          summarizeProfile: (path: string, top?: number) => string
        }
        console.log(summarizeProfile(profile))
      }
    }
  } finally {
    for (const s of servers) s.process.kill('SIGTERM')
  }
}

await main()
