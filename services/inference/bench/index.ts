// npm run bench:inference — the raw node:http ceiling, a naive per-request Hono server and Infera,
// driven in one run by autocannon at the same concurrency, on a tiny classifier and a heavy MLP.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildDemoModels } from '../../../training/demo/index.ts'
import { buildMlp } from '../../../training/onnx/index.ts'
import {
  inferBody,
  type LoadResult,
  load,
  type Server,
  start,
  startInfera,
  warm,
  writeModel,
} from '../../shared/bench/index.ts'

const here = fileURLToPath(new URL('.', import.meta.url))

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
    const results: Record<string, LoadResult> = {}
    for (const c of cases) {
      await warm(c.server.port, c.path, c.body)
      const r = await load(c.server.port, c.path, c.body, c.connections)
      results[`${c.server.name} | ${c.label}`] = r
      console.error(
        `${c.server.name.padEnd(20)} ${c.label.padEnd(12)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}`,
      )
    }
    const inferaTiny = results['infera | tiny, c=32'] as LoadResult
    const halfLoad = await load(
      infera.port,
      '/v2/models/tiny/infer',
      tiny,
      32,
      Math.round(inferaTiny.rps / 2),
    )
    const get = (key: string) => results[key] as LoadResult
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
