// npm run bench:inference — the raw node:http ceiling, a naive per-request Hono server and Infera,
// driven in one run by autocannon at the same concurrency, on a tiny classifier and a heavy MLP.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { buildDemoModels } from '../../../training/demo/index.ts'
import { buildMlp } from '../../../training/onnx/index.ts'

const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const here = fileURLToPath(new URL('.', import.meta.url))

interface Server {
  name: string
  port: number
  process: ChildProcess
}

function start(name: string, args: string[]): Promise<Server> {
  // bin/infera.js registers tsx itself; the bench's own servers are TypeScript files.
  const node = args[0]?.endsWith('.ts') ? ['--import', 'tsx', ...args] : args
  const child = spawn(process.execPath, node, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk
      const match = /listening (\d+)/.exec(out) ?? /"url":"http:\/\/[^:]+:(\d+)"/.exec(out)
      if (match) resolve({ name, port: Number(match[1]), process: child })
    })
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)))
  })
}

async function load(port: number, path: string, body: string, connections: number, rate?: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: DURATION,
    ...(rate ? { overallRate: rate } : {}),
  })
  const errors = result.errors + result.timeouts + result.non2xx
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors }
}

const warm = (port: number, path: string, body: string) =>
  autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 8,
    duration: 2,
  })

function writeModel(repo: string, name: string, bytes: Uint8Array, config: object) {
  mkdirSync(join(repo, name, '1'), { recursive: true })
  writeFileSync(join(repo, name, '1', 'model.onnx'), bytes)
  writeFileSync(join(repo, name, 'config.json'), JSON.stringify(config))
  return join(repo, name, '1', 'model.onnx')
}

const row = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Number(Math.sin(seed + i).toFixed(4)))
const inferBody = (n: number) =>
  JSON.stringify({ inputs: [{ name: 'input', shape: [1, n], datatype: 'FP32', data: row(n, 1) }] })

const startInfera = (name: string, repo: string) =>
  start(name, [
    'bin/infera.js',
    'inference',
    '--models',
    repo,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
  ])

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

/** Time from spawning `infera inference` on the demo models to ready, and its memory once ready. */
async function startup() {
  const repo = mkdtempSync(join(tmpdir(), 'infera-demo-'))
  await buildDemoModels({ outDir: repo })
  const started = performance.now()
  const server = await startInfera('infera (demo models)', repo)
  const readySeconds = (performance.now() - started) / 1000
  const rss = rssMb(server.process.pid as number)
  server.process.kill('SIGTERM')
  return { readySeconds, rss }
}

async function main() {
  const boot = await startup()
  const repo = mkdtempSync(join(tmpdir(), 'infera-bench-'))
  const batching = {
    max_batch_size: 64,
    dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 4096 },
  }
  const tinyPath = writeModel(
    repo,
    'tiny',
    buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: true }),
    batching,
  )
  const heavyPath = writeModel(
    repo,
    'heavy',
    buildMlp({ inputSize: 256, hidden: [2048, 768], outputSize: 10, seed: 2, softmax: true }),
    batching,
  )

  const servers = [
    await start('raw node:http', [join(here, 'servers/raw.ts')]),
    await start('naive hono (tiny)', [join(here, 'servers/naive.ts'), tinyPath]),
    await start('naive hono (heavy)', [join(here, 'servers/naive.ts'), heavyPath]),
    await startInfera('infera', repo),
  ]
  const [raw, naiveTiny, naiveHeavy, infera] = servers as [Server, Server, Server, Server]
  try {
    const tiny = inferBody(4)
    const heavy = inferBody(256)
    const cases = [
      { label: 'tiny, c=32', server: raw, path: '/', body: tiny, connections: 32 },
      {
        label: 'tiny, c=32',
        server: naiveTiny,
        path: '/v2/models/tiny/infer',
        body: tiny,
        connections: 32,
      },
      {
        label: 'tiny, c=32',
        server: infera,
        path: '/v2/models/tiny/infer',
        body: tiny,
        connections: 32,
      },
      {
        label: 'heavy, c=64',
        server: naiveHeavy,
        path: '/v2/models/heavy/infer',
        body: heavy,
        connections: 64,
      },
      {
        label: 'heavy, c=64',
        server: infera,
        path: '/v2/models/heavy/infer',
        body: heavy,
        connections: 64,
      },
    ]
    const results: Record<string, Awaited<ReturnType<typeof load>>> = {}
    for (const c of cases) {
      await warm(c.server.port, c.path, c.body)
      const r = await load(c.server.port, c.path, c.body, c.connections)
      results[`${c.server.name} | ${c.label}`] = r
      console.error(
        `${c.server.name.padEnd(20)} ${c.label.padEnd(12)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}`,
      )
    }
    const inferaTiny = results['infera | tiny, c=32'] as Awaited<ReturnType<typeof load>>
    const halfLoad = await load(
      infera.port,
      '/v2/models/tiny/infer',
      tiny,
      32,
      Math.round(inferaTiny.rps / 2),
    )
    const get = (key: string) => results[key] as Awaited<ReturnType<typeof load>>
    const ratio = (a: number, b: number) => (a / b).toFixed(2)

    console.log('\n| server | case | req/s | p50 ms | p99 ms | errors |')
    console.log('|---|---|---:|---:|---:|---:|')
    for (const [key, r] of Object.entries(results)) {
      const [server, label] = key.split(' | ')
      console.log(
        `| ${server} | ${label} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`,
      )
    }
    console.log(
      `| infera | tiny, c=32 at half peak (${Math.round(inferaTiny.rps / 2)} req/s) | ${halfLoad.rps.toFixed(0)} | ${halfLoad.p50} | ${halfLoad.p99} | ${halfLoad.errors} |`,
    )
    console.log('\n| target | measured | goal |')
    console.log('|---|---:|---:|')
    console.log(
      `| tiny: infera / raw node:http | ${ratio(inferaTiny.rps, get('raw node:http | tiny, c=32').rps)}× | ≥ 0.5× |`,
    )
    console.log(
      `| tiny: infera / naive hono | ${ratio(inferaTiny.rps, get('naive hono (tiny) | tiny, c=32').rps)}× | — |`,
    )
    console.log(
      `| heavy: infera / naive hono | ${ratio(get('infera | heavy, c=64').rps, get('naive hono (heavy) | heavy, c=64').rps)}× | ≥ 2× |`,
    )
    console.log(`| p99 at half of infera's peak | ${halfLoad.p99} ms | ≤ 10 ms |`)
    console.log(
      `| ready with the demo models (process start to listening) | ${boot.readySeconds.toFixed(2)} s | < 2 s |`,
    )
    console.log(`| RSS with the demo models, ready | ${boot.rss.toFixed(0)} MB | < 300 MB |`)
    console.log(
      `| RSS after the load above (tiny + 2M-parameter MLP) | ${rssMb(infera.process.pid as number).toFixed(0)} MB | — |`,
    )
  } finally {
    for (const s of servers) s.process.kill('SIGTERM')
  }
}

await main()
