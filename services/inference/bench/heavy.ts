// tsx services/inference/bench/heavy.ts [--profile] [DELAY_µs ...] — the heavy MLP of
// bench:inference (2 instances, c=64, binary bodies) under each max_queue_delay_microseconds given
// (0, 500, 1000, 2000 by default), with the batch sizes the server formed (its
// infera_inference_batch_size histogram) and its ratio to onnxruntime's ceiling. With --profile,
// the server runs under node --cpu-prof and the main thread's profile is summarised.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildMlp } from '../../../training/onnx/index.ts'
import { summarizeProfile } from '../../gateway/bench/profile.ts'
import { inferBinaryBody, load, start, warm, writeModel } from '../../shared/bench/index.ts'
import { checkBinary } from './binary.ts'
import { ortThroughput } from './ceiling.ts'

const INPUT = 256
const OUTPUT = 10
const PATH = '/v2/models/heavy/infer'

/** Batches and rows by upper bucket bound of the server's batch size histogram for the model. */
async function batchSizes(port: number) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const buckets = new Map<string, number>()
  let rows = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith('infera_inference_batch_size') || !line.includes('model="heavy"')) continue
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    const le = /le="([^"]+)"/.exec(line)?.[1]
    if (le) buckets.set(le, value)
    else if (line.startsWith('infera_inference_batch_size_sum')) rows = value
  }
  return { buckets, rows }
}

/** What the run added to the histogram: batches, mean rows, and the share of each bucket. */
function formed(before: Awaited<ReturnType<typeof batchSizes>>, after: typeof before) {
  const count = (le: string) => (after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0)
  const batches = count('+Inf')
  const bounds = [...after.buckets.keys()]
  const shares = bounds
    .map((le, i) => {
      const n = count(le) - (i > 0 ? count(bounds[i - 1] as string) : 0)
      return n > 0 ? `≤${le}: ${((n / batches) * 100).toFixed(0)}%` : ''
    })
    .filter(Boolean)
  return { batches, mean: (after.rows - before.rows) / batches, shares: shares.join(', ') }
}

async function measure(model: Uint8Array, delay: number, profileDir: string | undefined) {
  const repo = mkdtempSync(join(tmpdir(), 'infera-heavy-'))
  writeModel(repo, 'heavy', model, {
    max_batch_size: 64,
    dynamic_batching: { max_queue_delay_microseconds: delay, max_queue_size: 4096 },
    instance_group: [{ count: 2, kind: 'KIND_CPU' }],
  })
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []
  const server = await start(`infera (delay ${delay} µs)`, [
    ...profile,
    'bin/infera.js',
    'inference',
    '--models',
    repo,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
  ])
  try {
    const url = `http://127.0.0.1:${server.port}${PATH}`
    await checkBinary(url, INPUT, OUTPUT)
    const { body, headers } = inferBinaryBody(INPUT)
    await warm(server.port, PATH, body, headers)
    const before = await batchSizes(server.port)
    const result = await load(server.port, PATH, body, 64, undefined, headers)
    return { result, ...formed(before, await batchSizes(server.port)) }
  } finally {
    const exited = new Promise((resolve) => server.process.once('exit', resolve))
    server.process.kill('SIGTERM')
    await exited
    rmSync(repo, { recursive: true, force: true })
  }
}

const { values, positionals } = parseArgs({
  options: { profile: { type: 'boolean', default: false } },
  allowPositionals: true,
})
const delays = positionals.length ? positionals.map(Number) : [0, 500, 1000, 2000]
const model = buildMlp({
  inputSize: INPUT,
  hidden: [2048, 768],
  outputSize: OUTPUT,
  seed: 2,
  softmax: true,
})
const ceilingDir = mkdtempSync(join(tmpdir(), 'infera-ceiling-'))
const ceiling = await ortThroughput(writeModel(ceilingDir, 'heavy', model, {}), INPUT)
rmSync(ceilingDir, { recursive: true })
console.log(`onnxruntime in-process, batch 64: ${ceiling.toFixed(0)} rows/s\n`)
console.log(
  '| max_queue_delay µs | req/s | / ceiling | p50 ms | p99 ms | errors | batches | mean rows | batch sizes |',
)
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|')
for (const delay of delays) {
  const profileDir = values.profile ? mkdtempSync(join(tmpdir(), 'infera-prof-')) : undefined
  const { result: r, batches, mean, shares } = await measure(model, delay, profileDir)
  console.log(
    `| ${delay} | ${r.rps.toFixed(0)} | ${(r.rps / ceiling).toFixed(2)}× | ${r.p50} | ${r.p99} | ${r.errors} | ${batches} | ${mean.toFixed(1)} | ${shares} |`,
  )
  if (profileDir) {
    // Node names a thread's profile CPU.<date>.<time>.<pid>.<thread id>.<n>: the main thread is 0.
    const main = readdirSync(profileDir).find((f) => f.split('.')[4] === '0')
    if (main)
      console.log(
        `\nmain thread (${profileDir}/${main}):\n${summarizeProfile(join(profileDir, main), 20)}\n`,
      )
  }
}
