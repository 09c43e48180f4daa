// npm run bench:inference — the raw node:http ceiling, a naive per-request Hono server and Infera,
// driven in one run by autocannon at the same concurrency, on a tiny classifier and a heavy MLP;
// onnxruntime's own throughput (the compute ceiling) and event-loop hold; and a light model's
// latency while a large model loads beside it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildDemoModels } from '../../../training/demo/index.ts'
import { buildMlp } from '../../../training/onnx/index.ts'
import {
  inferBinaryBody,
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
import { checkBinary } from './binary.ts'
import { eventLoopHold, ortThroughput } from './ceiling.ts'
import { latencyWhileLoading } from './loading.ts'
import { benchTracing } from './tracing.ts'

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

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

async function main() {
  const loadBefore = loadavg()
  const boot = await startup()
  const repo = mkdtempSync(join(tmpdir(), 'infera-bench-'))
  const batching = {
    max_batch_size: 64,
    dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 4096 },
  }
  const tinyOnnx = buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: true })
  const tinyPath = writeModel(repo, 'tiny', tinyOnnx, batching)
  // The same tiny model on two worker-thread instances: what threads cost a model this small.
  writeModel(repo, 'tiny2', tinyOnnx, { ...batching, instance_group: [{ count: 2 }] })
  const heavyOnnx = buildMlp({
    inputSize: 256,
    hidden: [2048, 768],
    outputSize: 10,
    seed: 2,
    softmax: true,
  })
  const heavyPath = writeModel(repo, 'heavy', heavyOnnx, {
    ...batching,
    instance_group: [{ count: 2, kind: 'KIND_CPU' }],
  })
  // One instance, on a thread (the model is past the in-process size).
  writeModel(repo, 'heavy1', heavyOnnx, batching)
  // 29M parameters (117 MB): loads in about a second.
  const large = buildMlp({
    inputSize: 1024,
    hidden: [4096, 4096, 2048],
    outputSize: 10,
    seed: 3,
    softmax: true,
  })
  const largeDir = mkdtempSync(join(tmpdir(), 'infera-large-'))
  const hold = await eventLoopHold(writeModel(largeDir, 'large', large, {}), 1024)
  rmSync(largeDir, { recursive: true })
  const ceiling = await ortThroughput(heavyPath, 256)
  console.error(`onnxruntime in-process, heavy at batch 64: ${ceiling.toFixed(0)} rows/s`)

  const servers = [
    await start('raw node:http', [join(here, 'servers/raw.ts')]),
    await start('naive hono (tiny)', [join(here, 'servers/naive.ts'), tinyPath]),
    await start('naive hono (heavy)', [join(here, 'servers/naive.ts'), heavyPath]),
    await startInfera('infera', repo),
  ]
  const [raw, naiveTiny, naiveHeavy, infera] = servers as [Server, Server, Server, Server]
  const loadingRepo = mkdtempSync(join(tmpdir(), 'infera-loading-'))
  writeModel(loadingRepo, 'tiny', tinyOnnx, batching)
  const polled = await startCli(
    'infera (polling)',
    'inference',
    '--models',
    loadingRepo,
    '--poll-interval',
    '0.1',
  )
  servers.push(polled)
  try {
    const tiny = inferBody(4)
    const heavy = inferBody(256)
    // What tritonclient.http (binary_data=True) and perf_analyzer send: a JSON header, raw bytes.
    const heavyBinary = inferBinaryBody(256)
    const refused = await checkBinary(
      `http://127.0.0.1:${infera.port}/v2/models/heavy/infer`,
      256,
      10,
    )
    console.error(`binary tensor bodies decoded; a short one is refused: ${refused}`)
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
        label: 'tiny ×2 threads, c=32',
        server: infera,
        path: '/v2/models/tiny2/infer',
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
      {
        label: 'heavy, binary bodies, c=64',
        server: infera,
        path: '/v2/models/heavy/infer',
        body: heavyBinary.body,
        headers: heavyBinary.headers,
        connections: 64,
      },
      {
        label: 'heavy ×1 thread, c=64',
        server: infera,
        path: '/v2/models/heavy1/infer',
        body: heavy,
        connections: 64,
      },
    ]
    const results: Record<string, LoadResult> = {}
    for (const c of cases) {
      await warm(c.server.port, c.path, c.body, c.headers)
      const r = await load(c.server.port, c.path, c.body, c.connections, undefined, c.headers)
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
    const whileLoading = await latencyWhileLoading(
      polled,
      loadingRepo,
      { path: '/v2/models/tiny/infer', body: tiny, connections: 8, rate: 1000 },
      large,
    )
    const { steady, loading } = whileLoading
    const inferaHeavy = get('infera | heavy, c=64')
    const inferaHeavyBinary = get('infera | heavy, binary bodies, c=64')

    console.log(`load average before / after: ${loadBefore} / ${loadavg()}`)
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
    for (const [label, r] of [
      ['tiny, c=8 at 1000 req/s, no load under way', steady],
      [
        `tiny, c=8 at 1000 req/s, while a 117 MB model loads (${whileLoading.loads} loads)`,
        loading,
      ],
    ] as const) {
      console.log(
        `| infera (polling) | ${label} | ${r.requests} requests | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${whileLoading.errors} (whole run) |`,
      )
    }
    console.log(`| onnxruntime in-process | heavy, batch 64 | ${ceiling.toFixed(0)} rows/s | | | |`)
    const held = (h: typeof hold.load) =>
      `${h.ms.toFixed(0)} ms, ${h.ticks} ticks of a 1 ms timer, longest gap ${h.longest.toFixed(0)} ms`
    console.log(`\nEvent loop during onnxruntime calls on it (117 MB MLP):`)
    console.log(`- InferenceSession.create: ${held(hold.load)}`)
    console.log(`- session.run, batch 256: ${held(hold.run)}`)
    console.log(
      `- loads of it in infera (a worker thread each): ${whileLoading.loads}, ${whileLoading.meanLoadSeconds.toFixed(2)} s each from rename to ready`,
    )
    console.log('\n| target | measured | goal |')
    console.log('|---|---:|---:|')
    console.log(
      `| tiny: infera / raw node:http | ${ratio(inferaTiny.rps, get('raw node:http | tiny, c=32').rps)}× | ≥ 0.5× |`,
    )
    console.log(
      `| tiny: infera / naive hono | ${ratio(inferaTiny.rps, get('naive hono (tiny) | tiny, c=32').rps)}× | — |`,
    )
    // The framework's floor: Hono on @hono/node-server calling onnxruntime per request, nothing
    // of Infera's. Where it is under 0.5× the raw responder, so is any server built on it.
    console.log(
      `| tiny: naive hono / raw node:http (the framework's floor) | ${ratio(get('naive hono (tiny) | tiny, c=32').rps, get('raw node:http | tiny, c=32').rps)}× | — |`,
    )
    console.log(
      `| heavy (2 instances): infera / naive hono | ${ratio(inferaHeavy.rps, get('naive hono (heavy) | heavy, c=64').rps)}× | ≥ 3× |`,
    )
    console.log(
      `| heavy (2 instances): infera / onnxruntime in-process at batch 64 | ${ratio(inferaHeavy.rps, ceiling)}× | ≥ 0.6× |`,
    )
    // The tiny model's compute is next to nothing, so its single-row rate is the most Infera's
    // HTTP path carries on this machine: an upper bound on the heavy model's share of the ceiling.
    console.log(
      `| tiny single-row req/s / onnxruntime's heavy rows/s (the most a single-row HTTP path reaches) | ${ratio(inferaTiny.rps, ceiling)}× | — |`,
    )
    console.log(
      `| heavy (2 instances), binary tensor bodies: infera / onnxruntime in-process at batch 64 | ${ratio(inferaHeavyBinary.rps, ceiling)}× | ≥ 0.6× |`,
    )
    console.log(
      `| heavy: 2 instances / 1 instance | ${ratio(inferaHeavy.rps, get('infera | heavy ×1 thread, c=64').rps)}× | — |`,
    )
    console.log(
      `| tiny: 2 threads / in-process | ${ratio(get('infera | tiny ×2 threads, c=32').rps, inferaTiny.rps)}× | — |`,
    )
    console.log(
      `| light model p99 while a large one loads / the rest of the run | ${ratio(loading.p99, steady.p99)}× (${loading.p99.toFixed(1)} / ${steady.p99.toFixed(1)} ms) | ≤ 2× |`,
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
    // Its versions of the 117 MB model would otherwise stay behind in the temp directory.
    polled.process.once('exit', () => rmSync(loadingRepo, { recursive: true, force: true }))
  }
}

await main()
// After the others, with servers of its own: tracing off, on the no-op tracer, and on.
await benchTracing()
