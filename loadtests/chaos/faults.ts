// The faults, one at a time, each injected while steady traffic flows and undone before it ends.
// A fault returns checks of its own beyond the traffic's (a version loaded once complete, …).

import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { type Check, countTraffic, type FaultClass } from './accounting.ts'
import { type ChaosPlatform, FILE_MODEL, SLOW_DEADLINE_MS, SLOW_MODEL } from './platform.ts'
import { Traffic } from './traffic.ts'

/** How long each outage lasts, in seconds: the figures, and a CI-sized run's. */
export interface Durations {
  kill: number
  drift: number
  registry: number
  postgres: number
  redis: number
  /** How long a fault that isn't an outage (a dropped file, a slow upstream, a full disk) holds. */
  hold: number
}

export const DURATIONS: Record<'full' | 'short', Durations> = {
  full: { kill: 10, drift: 30, registry: 30, postgres: 10, redis: 15, hold: 15 },
  short: { kill: 3, drift: 8, registry: 5, postgres: 3, redis: 4, hold: 4 },
}

export interface Fault {
  name: string
  class: FaultClass
  inject: (platform: ChaosPlatform, durations: Durations) => Promise<Check[]>
}

/** Stops a service, waits out the outage, starts it again on the same port. */
const outage =
  (
    pick: (p: ChaosPlatform) => { stop: () => Promise<void>; start: () => Promise<void> },
    seconds: (d: Durations) => number,
  ) =>
  async (platform: ChaosPlatform, durations: Durations) => {
    const part = pick(platform)
    await part.stop()
    await delay(seconds(durations) * 1000)
    await part.start()
    return []
  }

async function answers(url: string) {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => undefined)
  await response?.body?.cancel()
  return response?.status ?? 0
}

/** Whether every replica says `path` is ready, asking again for up to `seconds`. */
async function readyOnEvery(platform: ChaosPlatform, path: string, seconds: number) {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const statuses = await Promise.all(platform.inference.map((i) => answers(`${i.url}${path}`)))
    if (statuses.every((s) => s === 200)) return true
    if (Date.now() > deadline) return false
    await delay(250)
  }
}

const versionDir = (modelsDir: string, version: number) =>
  join(modelsDir, FILE_MODEL, String(version))

export const FAULTS: readonly Fault[] = [
  {
    name: 'baseline',
    class: 'replica-left',
    inject: async (_, durations) => {
      await delay(durations.hold * 1000)
      return []
    },
  },
  {
    name: 'redis-down',
    class: 'replica-left',
    inject: outage(
      (p) => ({
        stop: () => p.services.redis.stop('SIGKILL'),
        start: () => p.services.redis.start(),
      }),
      (d) => d.redis,
    ),
  },
  {
    name: 'registry-down',
    class: 'replica-left',
    inject: outage(
      (p) => ({ stop: () => p.services.registry.stop(), start: () => p.services.registry.start() }),
      (d) => d.registry,
    ),
  },
  {
    name: 'postgres-restarted',
    class: 'replica-left',
    inject: outage(
      (p) => p.postgres,
      (d) => d.postgres,
    ),
  },
  {
    name: 'drift-down',
    class: 'replica-left',
    inject: outage(
      (p) => ({ stop: () => p.services.drift.stop(), start: () => p.services.drift.start() }),
      (d) => d.drift,
    ),
  },
  {
    // Every capture file of today is /dev/full (ENOSPC on each write), then the disk is back.
    name: 'capture-disk-full',
    class: 'replica-left',
    inject: async (platform, durations) => {
      const day = new Date().toISOString().slice(0, 10)
      const files = platform.inference.flatMap(({ captureDir }) =>
        (existsSync(captureDir) ? readdirSync(captureDir) : []).flatMap((model) =>
          readdirSync(join(captureDir, model)).map((version) =>
            join(captureDir, model, version, `${day}.jsonl`),
          ),
        ),
      )
      for (const file of files) {
        if (existsSync(file)) renameSync(file, `${file}.before-full`)
        symlinkSync('/dev/full', file)
      }
      await delay(durations.hold * 1000)
      for (const file of files) rmSync(file)
      return [{ what: `capture files to fill (${files.length})`, ok: files.length > 0 }]
    },
  },
  {
    // Requests to a route whose upstream answers too late: 504 at the deadline, then 503 once the
    // breaker opens; the other models' traffic must not notice.
    name: 'slow-upstream',
    class: 'replica-left',
    inject: async (platform, durations) => {
      const slow = new Traffic({
        gateway: platform.gateway,
        apiKey: platform.apiKey,
        calls: [{ model: SLOW_MODEL, path: `/v2/models/${SLOW_MODEL}/infer`, body: '{}' }],
        rate: 5,
      })
      slow.start()
      await delay(durations.hold * 1000)
      const samples = await slow.stop()
      const counts = countTraffic(samples)
      const statuses = Object.entries(counts.failures)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')
      const slowest = Math.max(0, ...samples.map((s) => s.ms))
      return [
        {
          what: `the slow route answered 504/503 only, within its ${SLOW_DEADLINE_MS} ms deadline (${statuses}; slowest ${slowest.toFixed(0)} ms)`,
          ok:
            samples.length > 0 &&
            samples.every((s) => s.status === 504 || s.status === 503) &&
            slowest < SLOW_DEADLINE_MS + 1000,
        },
        {
          what: 'the breaker opened (fast 503s)',
          ok: samples.some((s) => s.status === 503 && s.ms < SLOW_DEADLINE_MS),
        },
      ]
    },
  },
  {
    name: 'inference-killed',
    class: 'replica-killed',
    inject: outage(
      (p) => {
        const { service } = p.inference[0] as ChaosPlatform['inference'][number]
        return { stop: () => service.stop('SIGKILL'), start: () => service.start() }
      },
      (d) => d.kill,
    ),
  },
  {
    // Version 2 is garbage on both replicas: version 1 must go on serving, and the model stay ready.
    name: 'corrupt-version',
    class: 'replica-left',
    inject: async (platform, durations) => {
      const garbage = new Uint8Array(64 * 1024).map((_, i) => (i * 31 + 7) % 251)
      for (const { modelsDir } of platform.inference) {
        mkdirSync(versionDir(modelsDir, 2))
        writeFileSync(join(versionDir(modelsDir, 2), 'model.onnx'), garbage)
      }
      await delay(durations.hold * 1000)
      const ready = await readyOnEvery(platform, `/v2/models/${FILE_MODEL}/ready`, 0)
      // Undone, so that the next fault meets version 1 alone.
      for (const { modelsDir } of platform.inference) {
        rmSync(versionDir(modelsDir, 2), { recursive: true })
      }
      return [{ what: `${FILE_MODEL} stayed ready on every replica`, ok: ready }]
    },
  },
  {
    // Version 3 written slowly, a chunk at a time over many polls, as a large model is copied
    // in: it must not be loaded half-written, and must serve once complete.
    name: 'half-written-version',
    class: 'replica-left',
    inject: async (platform, durations) => {
      const { onnx } = platform.model
      const files = await Promise.all(
        platform.inference.map(({ modelsDir }) => {
          mkdirSync(versionDir(modelsDir, 3))
          return open(join(versionDir(modelsDir, 3), 'model.onnx'), 'w')
        }),
      )
      const chunks = 8
      const size = Math.ceil(onnx.length / chunks)
      for (let at = 0; at < onnx.length; at += size) {
        for (const file of files) await file.write(onnx.subarray(at, at + size))
        await delay((durations.hold / chunks) * 1000)
      }
      for (const file of files) await file.close()
      return [
        {
          what: 'version 3 served on every replica once complete',
          ok: await readyOnEvery(platform, `/v2/models/${FILE_MODEL}/versions/3/ready`, 10),
        },
      ]
    },
  },
]
