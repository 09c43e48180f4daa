import pino from 'pino'
import { createRandom } from '../../../training/train/index.ts'
import { createDriftMetrics } from '../src/metrics/index.ts'
import { buildProfile } from '../src/profile/index.ts'
import { MemoryReferences } from '../src/references/index.ts'
import { DriftRequestError, DriftService } from '../src/service/index.ts'
import { openDriftStore } from '../src/store/index.ts'

const FEATURES = 20
const BATCH = 1000
const WINDOW = 100_000

/** Whether the service took the batch; false when it asked for it again later. */
async function ingested(service: DriftService, batch: string): Promise<boolean> {
  try {
    await service.ingest('bench', batch)
    return true
  } catch (error) {
    if (error instanceof DriftRequestError && error.status === 503) return false
    throw error
  }
}

/**
 * The whole ingest path of the service — NDJSON text parsed, validated, flattened, windowed and
 * the completed windows evaluated and stored — on one core, with RSS sampled as it goes.
 */
export async function benchIngest(rows: number) {
  const random = createRandom(11)
  const names = Array.from({ length: FEATURES }, (_, i) => `f${i}`)
  const reference = Object.fromEntries(
    names.map((n) => [n, Array.from({ length: 5000 }, () => random.normal())]),
  )
  const references = new MemoryReferences()
  references.set({ model: 'bench', version: '1', profile: buildProfile(reference) })
  const store = await openDriftStore({})
  const service = new DriftService({
    references,
    store,
    metrics: createDriftMetrics({ processMetrics: false }),
    logger: pino({ level: 'silent' }),
    window: { kind: 'count', size: WINDOW },
  })
  // Ten distinct batches, sent in turn: parsing is paid on every one, generation only once.
  const batches = Array.from({ length: 10 }, () =>
    Array.from({ length: BATCH }, () =>
      JSON.stringify({
        features: Object.fromEntries(names.map((n) => [n, random.normal() + 0.01])),
      }),
    ).join('\n'),
  )
  const rss = () => process.memoryUsage.rss() / 2 ** 20
  const progress: Array<{ rows: number; rate: number; rss: number }> = []
  const started = performance.now()
  let rssAfterFirstWindow = 0
  for (let sent = 0; sent < rows; sent += BATCH) {
    const batch = batches[(sent / BATCH) % batches.length] as string
    // Faster than windows are evaluated, the service refuses a batch (503) until its backlog
    // drains: a client waits and sends it again, as this does.
    while (!(await ingested(service, batch))) await service.idle()
    const done = sent + BATCH
    if (done === WINDOW) {
      await service.idle()
      rssAfterFirstWindow = rss()
    }
    if (done % 2_000_000 === 0 || done >= rows) {
      await service.idle()
      progress.push({ rows: done, rate: done / ((performance.now() - started) / 1000), rss: rss() })
    }
  }
  await service.close()
  const last = progress.at(-1) as { rows: number; rate: number; rss: number }
  return { progress, rate: last.rate, rssGrowth: last.rss - rssAfterFirstWindow }
}
