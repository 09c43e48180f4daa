// One fault after another on the running platform: steady traffic and registry writes start, the
// fault is injected and undone, the traffic stops, captured rows are given time to reach drift,
// and the fault's figures are judged.
import { setTimeout as delay } from 'node:timers/promises'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import {
  type Check,
  countTraffic,
  type FaultResult,
  failed,
  judge,
  type Kept,
} from './accounting.ts'
import type { Durations, Fault } from './faults.ts'
import { type ChaosPlatform, FILE_MODEL, REGISTRY_MODEL, WRITES_MODEL } from './platform.ts'
import { RegistryWriter } from './registry-writes.ts'
import { type Call, Traffic } from './traffic.ts'

const CAPTURE_DROPPED = 'infera_capture_dropped_total'

export interface RunOptions {
  durations: Durations
  /** Requests per second through the gateway. */
  rate: number
  /** Seconds of traffic before the fault and after it is undone. */
  leadSeconds: number
  /** How long captured rows may take to reach drift once the traffic stops. */
  settleSeconds: number
  onResult: (result: FaultResult) => void
  log: (line: string) => void
}

const infer = (model: string): Call => ({
  model,
  path: `/v2/models/${model}/infer`,
  body: JSON.stringify({
    inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 5], data: [4, 97, 88, 2130, 14.5] }],
  }),
})

const services = (platform: ChaosPlatform) => [
  ...Object.values(platform.services),
  ...platform.inference.map((i) => i.service),
]

/** The resident memory of Redis and the platform's Node processes. */
const rss = (platform: ChaosPlatform) => services(platform).reduce((sum, s) => sum + s.rss(), 0)

/**
 * Every process still running, as a check; one that exited is started again so that the next
 * fault meets the whole platform, and the last lines it wrote go to `log`.
 */
async function revive(platform: ChaosPlatform, log: (line: string) => void): Promise<Check[]> {
  const dead = services(platform).filter((service) => !service.running)
  for (const service of dead) {
    log(`${service.spec.name} exited; its last lines:\n${service.tail(10)}`)
    await service.start()
  }
  return dead.map((service) => ({ what: `${service.spec.name} kept running`, ok: false }))
}

/**
 * Rows of the registry's model the inference servers dropped, by reason, summed over both. A
 * replica restarted since starts from 0 again: its earlier drops are then missed, never doubled.
 */
async function captureDrops(platform: ChaosPlatform): Promise<Record<string, number>> {
  const drops: Record<string, number> = {}
  for (const { url } of platform.inference) {
    const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })
      .then((response) => (response.ok ? response.text() : ''))
      .catch(() => '')
    const family = parsePrometheusTextFormat(text).find((f) => f.name === CAPTURE_DROPPED)
    for (const { labels, value } of family?.metrics ?? []) {
      if (labels?.model !== REGISTRY_MODEL || !labels.reason) continue
      drops[labels.reason] = (drops[labels.reason] ?? 0) + Number(value)
    }
  }
  return drops
}

/** Waits until drift has acknowledged `expected` rows since `from`, or they stop coming. */
async function driftKept(platform: ChaosPlatform, from: number, expected: number, seconds: number) {
  const deadline = Date.now() + seconds * 1000
  const arrived = () => platform.tap.acknowledged(REGISTRY_MODEL) - from
  while (arrived() < expected && Date.now() < deadline) await delay(200)
  return arrived()
}

export async function runFaults(
  platform: ChaosPlatform,
  faults: readonly Fault[],
  options: RunOptions,
): Promise<FaultResult[]> {
  const writer = new RegistryWriter({
    url: platform.registryUrl,
    token: platform.registryToken,
    model: WRITES_MODEL,
    files: platform.model,
  })
  const results: FaultResult[] = []
  for (const fault of faults) {
    const traffic = new Traffic({
      gateway: platform.gateway,
      apiKey: platform.apiKey,
      calls: [infer(REGISTRY_MODEL), infer(FILE_MODEL)],
      rate: options.rate,
    })
    const dropsBefore = await captureDrops(platform)
    const acknowledgedBefore = platform.tap.acknowledged(REGISTRY_MODEL)
    const answersBefore = platform.tap.answers(REGISTRY_MODEL)
    const started = performance.now()
    traffic.start()
    writer.start(500)
    await delay(options.leadSeconds * 1000)
    const extra = await fault.inject(platform, options.durations)
    await delay(options.leadSeconds * 1000)
    const samples = await traffic.stop()
    const accepted = await writer.stop()
    const seconds = (performance.now() - started) / 1000
    // Every prediction the platform answered is a row drift should get.
    const served = samples.filter((s) => s.model === REGISTRY_MODEL && !failed(s.status)).length
    const drift: Kept = {
      accepted: served,
      kept: await driftKept(platform, acknowledgedBefore, served, options.settleSeconds),
    }
    const driftRefused = Object.fromEntries(
      Object.entries(platform.tap.answers(REGISTRY_MODEL))
        .map(([status, rows]) => [status, rows - (answersBefore[Number(status)] ?? 0)] as const)
        .filter(([status, rows]) => rows > 0 && !(Number(status) >= 200 && Number(status) < 300)),
    )
    const dropsAfter = await captureDrops(platform)
    const captureDropped = Object.fromEntries(
      Object.entries(dropsAfter)
        .map(([reason, rows]) => [reason, rows - (dropsBefore[reason] ?? 0)] as const)
        .filter(([, rows]) => rows > 0),
    )
    const registry = await writer.kept(accepted)
    const counted = {
      fault: fault.name,
      class: fault.class,
      seconds,
      traffic: countTraffic(samples),
      drift,
      driftRefused,
      captureDropped,
      registry,
      rssMb: 0,
      extra,
    }
    counted.extra.push(...(await revive(platform, options.log)))
    counted.rssMb = rss(platform) / 2 ** 20
    const result = { ...counted, ...judge(counted) }
    results.push(result)
    options.onResult(result)
  }
  return results
}

/**
 * Resolves once both models answer through the gateway (the registry's route switches to a version
 * only once a replica has it ready); throws after 60 s, naming what answered.
 */
export async function waitUntilServing(platform: ChaosPlatform) {
  const deadline = Date.now() + 60_000
  let statuses: number[] = []
  while (Date.now() < deadline) {
    statuses = await Promise.all(
      [infer(REGISTRY_MODEL), infer(FILE_MODEL)].map(async ({ path, body }) => {
        const response = await fetch(`${platform.gateway}${path}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${platform.apiKey}`,
            'content-type': 'application/json',
          },
          body,
        }).catch(() => undefined)
        await response?.body?.cancel()
        return response?.status ?? 0
      }),
    )
    if (statuses.every((s) => s === 200)) return
    await delay(200)
  }
  throw new Error(`the models never answered through the gateway: ${statuses.join(', ')}`)
}
