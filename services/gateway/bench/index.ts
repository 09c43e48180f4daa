// npm run bench:gateway — what the gateway costs in front of inference (the same autocannon load
// direct and through it, plus sequential requests for sub-millisecond latency) and whether a
// 90/10 canary split lands on 10%.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildMlp } from '../../../training/onnx/index.ts'
import {
  inferBody,
  type LoadResult,
  load,
  type Server,
  start,
  startCli,
  startInfera,
  warm,
  writeModel,
} from '../../shared/bench/index.ts'
import { hashApiKey } from '../src/auth/index.ts'
import type { GatewayConfigFile } from '../src/config/index.ts'

const PATH = '/v2/models/tiny/infer'
const API_KEY = 'bench-key'
const SEQUENTIAL = 2000
const CANARY_REQUESTS = 10_000
const CANARY_WEIGHT = 10

async function startGateway(name: string, dir: string, config: GatewayConfigFile) {
  const file = join(dir, `${name}.json`)
  writeFileSync(file, JSON.stringify(config))
  return startCli(name, 'gateway', '--config', file)
}

/** One POST, timed from send to the last body byte; the variant header is all the caller keeps. */
async function timed(url: string, body: string, headers: Record<string, string>) {
  const started = performance.now()
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  await response.arrayBuffer()
  return {
    ms: performance.now() - started,
    ok: response.ok,
    variant: response.headers.get('x-infera-variant') ?? '',
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number

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
    // A limit far above what two cores can serve, so the bucket is checked but never refuses.
    const common: Omit<GatewayConfigFile, 'routes'> = {
      auth: {
        api_keys: [{ tenant: 'bench', sha256: await hashApiKey(API_KEY), models: ['tiny'] }],
      },
      rate_limits: { default: { rate: 1_000_000, burst: 1_000_000 } },
    }
    const gateway = await startGateway('gateway', dir, {
      ...common,
      routes: [{ model: 'tiny', variants: [{ name: 'stable', weight: 100, targets: [target] }] }],
    })
    servers.push(gateway)
    const rawProxy = await start('raw-proxy', ['services/gateway/bench/raw-proxy.ts', target])
    servers.push(rawProxy)
    const honoProxy = await start('hono-proxy', ['services/gateway/bench/hono-proxy.ts', target])
    servers.push(honoProxy)
    const auth = { authorization: `Bearer ${API_KEY}` }
    const body = inferBody(4)

    // (a) and (b): the same load, direct and through the gateway. Two floors beside them: a bare
    // node:http proxy (what one more hop costs on this machine) and a bare Hono proxy on
    // @hono/node-server (what the web-standard framework adds before the gateway does anything).
    const paths = [
      { label: 'inference, direct', port: inference.port, headers: {} },
      { label: 'gateway → inference', port: gateway.port, headers: auth },
      { label: 'bare node:http proxy → inference', port: rawProxy.port, headers: {} },
      { label: 'bare Hono proxy → inference', port: honoProxy.port, headers: {} },
    ]
    const results: LoadResult[] = []
    for (const p of paths) {
      await warm(p.port, PATH, body, p.headers)
      const r = await load(p.port, PATH, body, 32, undefined, p.headers)
      results.push(r)
      console.error(
        `${p.label.padEnd(20)} ${r.rps.toFixed(0).padStart(7)} req/s  errors ${r.errors}`,
      )
    }
    const [direct, viaGateway, viaRawProxy, viaHonoProxy] = results as [
      LoadResult,
      LoadResult,
      LoadResult,
      LoadResult,
    ]

    // autocannon reports whole milliseconds; one request at a time, interleaved so drift in the
    // machine's load falls on both paths alike, measures the added latency to a few microseconds.
    const urls = paths.slice(0, 2).map((p) => `http://127.0.0.1:${p.port}${PATH}`)
    const samples: [number[], number[]] = [[], []]
    for (let i = 0; i < SEQUENTIAL + 200; i++) {
      for (const [j, url] of urls.entries()) {
        const { ms, ok } = await timed(url, body, paths[j]?.headers ?? {})
        if (!ok) throw new Error(`sequential request to ${url} failed`)
        // The first 200 of each only warm up connections and the JIT.
        if (i >= 200) samples[j]?.push(ms)
      }
    }
    const [seqDirect, seqGateway] = samples.map((s) => s.sort((a, b) => a - b)) as [
      number[],
      number[],
    ]

    // (c) the canary split, through a second gateway whose route sends 10% to `canary`; both
    // variants name the same inference server, so only the gateway's choice is measured.
    const canaryGateway = await startGateway('gateway-canary', dir, {
      ...common,
      routes: [
        {
          model: 'tiny',
          variants: [
            { name: 'stable', weight: 100 - CANARY_WEIGHT, targets: [target] },
            { name: 'canary', weight: CANARY_WEIGHT, targets: [target] },
          ],
        },
      ],
    })
    servers.push(canaryGateway)
    const counts = new Map<string, number>()
    let failed = 0
    let sent = 0
    const canaryUrl = `http://127.0.0.1:${canaryGateway.port}${PATH}`
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (sent < CANARY_REQUESTS) {
          sent++
          const { ok, variant } = await timed(canaryUrl, body, auth)
          if (!ok) failed++
          counts.set(variant, (counts.get(variant) ?? 0) + 1)
        }
      }),
    )
    const share = ((counts.get('canary') ?? 0) / CANARY_REQUESTS) * 100

    const ms = (n: number) => n.toFixed(3)
    const ratio = viaGateway.rps / direct.rps
    const addedP50 = quantile(seqGateway, 0.5) - quantile(seqDirect, 0.5)
    const addedP99 = quantile(seqGateway, 0.99) - quantile(seqDirect, 0.99)
    console.log('\n| path (tiny, single row, autocannon c=32) | req/s | p50 ms | p99 ms | errors |')
    console.log('|---|---:|---:|---:|---:|')
    for (const [i, r] of results.entries()) {
      console.log(
        `| ${paths[i]?.label} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`,
      )
    }
    console.log(`\n| path (sequential, ${SEQUENTIAL} requests) | p50 ms | p99 ms |`)
    console.log('|---|---:|---:|')
    for (const [i, s] of [seqDirect, seqGateway].entries()) {
      console.log(`| ${paths[i]?.label} | ${ms(quantile(s, 0.5))} | ${ms(quantile(s, 0.99))} |`)
    }
    console.log('\n| target | measured | goal |')
    console.log('|---|---:|---:|')
    console.log(`| throughput: gateway / direct | ${ratio.toFixed(2)}× | ≥ 0.6× |`)
    console.log(
      `| throughput: bare node:http proxy / direct (the floor of any Node hop) | ${(viaRawProxy.rps / direct.rps).toFixed(2)}× | — |`,
    )
    console.log(
      `| throughput: bare Hono proxy / direct (the floor of a Hono app on Node) | ${(viaHonoProxy.rps / direct.rps).toFixed(2)}× | — |`,
    )
    console.log(
      `| throughput: gateway / bare Hono proxy | ${(viaGateway.rps / viaHonoProxy.rps).toFixed(2)}× | — |`,
    )
    console.log(
      `| added p50 latency (autocannon, whole ms) | ${viaGateway.p50 - direct.p50} ms | ≤ 1 ms |`,
    )
    console.log(`| added p50 latency (sequential) | ${ms(addedP50)} ms | ≤ 1 ms |`)
    console.log(`| added p99 latency (sequential) | ${ms(addedP99)} ms | — |`)
    console.log(
      `| canary share of ${CANARY_REQUESTS} requests (${100 - CANARY_WEIGHT}/${CANARY_WEIGHT} split) | ${share.toFixed(2)}% | ${CANARY_WEIGHT}% ± 2 pp: ${Math.abs(share - CANARY_WEIGHT) <= 2 ? 'yes' : 'no'} |`,
    )
    console.log(`| failed canary requests | ${failed} | 0 |`)
  } finally {
    for (const s of servers) s.process.kill('SIGTERM')
  }
}

await main()
