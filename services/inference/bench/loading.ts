// A light model's latency while a large model loads next to it, against its latency the rest of
// the same run: one rate-limited autocannon run on the light model, each response sorted by
// whether a load was under way when it came back, so background noise falls on both alike.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { DURATION, type Server } from '../../shared/bench/index.ts'

export interface Latencies {
  requests: number
  p50: number
  p99: number
}

export interface LoadingResult {
  steady: Latencies
  loading: Latencies
  errors: number
  /** Versions of the large model that became ready, and their mean time from rename to ready. */
  loads: number
  meanLoadSeconds: number
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function ready(port: number, model: string, version: number) {
  const res = await fetch(`http://127.0.0.1:${port}/v2/models/${model}/versions/${version}/ready`)
  await res.arrayBuffer()
  return res.ok
}

function percentiles(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  return { requests: sorted.length, p50: at(0.5), p99: at(0.99) }
}

/**
 * Drives `light` at `rate` for twice the bench duration while versions 1, 2, … of `large` are
 * written into `repo` (aside, then renamed in) one after another, a second apart: each waits for
 * the one before to be ready.
 */
export async function latencyWhileLoading(
  server: Server,
  repo: string,
  light: { path: string; body: string; connections: number; rate: number },
  large: Uint8Array,
): Promise<LoadingResult> {
  const dir = join(repo, 'large')
  mkdirSync(dir, { recursive: true })
  let loadingNow = false
  const steady: number[] = []
  const loading: number[] = []
  const times: number[] = []
  let errors = 0
  const run = new Promise<void>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${server.port}${light.path}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: light.body,
        connections: light.connections,
        overallRate: light.rate,
        duration: 2 * DURATION,
      },
      (error, result) => {
        if (error) reject(error)
        else {
          errors = result.errors + result.timeouts + result.non2xx
          resolve()
        }
      },
    )
    instance.on('response', (_client, _status, _bytes, ms) =>
      (loadingNow ? loading : steady).push(ms),
    )
  })
  let done = false
  void run.finally(() => {
    done = true
  })
  for (let version = 1; !done; version++) {
    await pause(1000)
    const aside = join(repo, `.large-${version}`)
    mkdirSync(aside)
    writeFileSync(join(aside, 'model.onnx'), large)
    const started = performance.now()
    loadingNow = true
    renameSync(aside, join(dir, String(version)))
    while (!(await ready(server.port, 'large', version))) await pause(20)
    loadingNow = false
    if (!done) times.push((performance.now() - started) / 1000)
    rmSync(join(dir, String(version - 1)), { recursive: true, force: true })
  }
  await run
  const meanLoadSeconds = times.reduce((a, b) => a + b, 0) / Math.max(times.length, 1)
  return {
    steady: percentiles(steady),
    loading: percentiles(loading),
    errors,
    loads: times.length,
    meanLoadSeconds,
  }
}
