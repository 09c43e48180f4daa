// The cost of tracing (issue 17: ≤ 2% with tracing off), on the tiny model, for each mode of
// tracers.ts: the instrumentation's own time per request, timed alone, and the servers' req/s over
// HTTP at c=32, one server per mode. Rounds alternate between the modes, so drifting machine load
// hits all of them alike.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildMlp } from '../../../training/onnx/index.ts'
import {
  inferBody,
  load,
  median,
  type Server,
  start,
  warm,
  writeModel,
} from '../../shared/bench/index.ts'
import { recordBatch, SPANS, startInferenceTrace } from '../src/protocol/trace.ts'
import { MODES, type Mode, tracerFor } from './tracers.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const ROUNDS = Number(process.env.BENCH_TRACING_ROUNDS ?? 3)
const PATH = '/v2/models/tiny/infer'

/**
 * Microseconds of one request's instrumentation alone, per mode: the calls a traced request makes
 * (its server span, decode and encode steps, the four batch spans, the capture span, the end), in
 * a tight loop, median over rounds. Timed apart from the request, it is not lost in the noise of a
 * busy machine as a 2% difference in throughput is.
 */
async function instrumentationMicros(): Promise<Record<Mode, number>> {
  const request = new Request(`http://bench${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  })
  const target = { protocol: 'v2', name: 'tiny', version: undefined } as const
  const step = () => 0
  const tracers = Object.fromEntries(MODES.map((mode) => [mode, tracerFor(mode)]))
  const micros = Object.fromEntries(MODES.map((mode) => [mode, [] as number[]]))
  const n = 20_000
  for (let round = 0; round < 7; round++) {
    for (const mode of MODES) {
      const tracer = tracers[mode]
      const started = performance.now()
      for (let i = 0; i < n; i++) {
        // As serveInference: one check when tracing is off.
        const trace = tracer && startInferenceTrace(tracer, request, target)
        if (!trace) continue
        await trace.step(SPANS.decode, step)
        const now = performance.now()
        recordBatch(trace, now, {
          batchId: i,
          batchSize: 1,
          instance: 0,
          startedAt: now,
          inferStartedAt: now,
          inferEndedAt: now,
          endedAt: now,
        })
        await trace.step(SPANS.encode, step)
        trace.child(SPANS.capture).end()
        trace.end(200)
      }
      micros[mode]?.push(((performance.now() - started) * 1000) / n)
    }
  }
  return Object.fromEntries(MODES.map((mode) => [mode, median(micros[mode] ?? [])])) as Record<
    Mode,
    number
  >
}

/** Requests per second of each mode's server, median over alternating rounds. */
async function overHttp(repo: string, body: string): Promise<Record<Mode, number>> {
  const servers: Server[] = []
  try {
    for (const mode of MODES)
      servers.push(
        await start(`infera (tracing ${mode})`, [join(here, 'servers/traced.ts'), repo, mode]),
      )
    for (const server of servers) await warm(server.port, PATH, body)
    const rps = Object.fromEntries(MODES.map((mode) => [mode, [] as number[]]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, mode] of MODES.entries()) {
        const r = await load((servers[i] as Server).port, PATH, body, 32)
        rps[mode]?.push(r.rps)
        console.error(
          `tracing ${mode.padEnd(6)} round ${round + 1} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99} ms  errors ${r.errors}`,
        )
      }
    }
    return Object.fromEntries(MODES.map((mode) => [mode, median(rps[mode] ?? [])])) as Record<
      Mode,
      number
    >
  } finally {
    for (const s of servers) s.process.kill('SIGTERM')
  }
}

/**
 * Prints, per mode, the instrumentation's microseconds per request, HTTP req/s against bypass, and
 * the instrumentation's share of a request's time on the untraced server (one core: 1/(req/s)).
 */
export async function benchTracing() {
  const repo = mkdtempSync(join(tmpdir(), 'infera-tracing-'))
  const tiny = buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: true })
  writeModel(repo, 'tiny', tiny, {
    max_batch_size: 64,
    dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 4096 },
  })
  const instrumentation = await instrumentationMicros()
  const http = await overHttp(repo, inferBody(4))
  const requestMicros = 1e6 / http.bypass
  const share = (mode: Mode) => (instrumentation[mode] / requestMicros) * 100
  const labels: Record<Mode, string> = {
    bypass: 'off: no tracer (OTEL_EXPORTER_OTLP_ENDPOINT unset)',
    noop: "off: instrumentation on the API's no-op tracer",
    on: 'on: every request traced, spans batched and dropped',
  }
  console.log(
    '\n| tracing, tiny model, c=32 (medians of alternating rounds) | instrumentation µs/request | share of a request | req/s over HTTP | / off |',
  )
  console.log('|---|---:|---:|---:|---:|')
  for (const mode of MODES) {
    console.log(
      `| ${labels[mode]} | ${instrumentation[mode].toFixed(2)} | ${share(mode).toFixed(2)}% | ${http[mode].toFixed(0)} | ${(http[mode] / http.bypass).toFixed(3)}× |`,
    )
  }
  console.log(
    `| target: tracing off ≤ 2% | ${share('bypass').toFixed(2)}% (no tracer), ${share('noop').toFixed(2)}% (no-op tracer) | ${share('bypass') <= 2 ? 'met' : 'missed'} | | |`,
  )
}
