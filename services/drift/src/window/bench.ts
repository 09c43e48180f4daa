/**
 * Ingest benchmark: rows of 20 numerical features, parsed from JSON in batches of 1000 as the
 * model server's log would give them, through a count-based sliding window.
 *
 *   npx tsx services/drift/src/window/bench.ts [rows] [size] [slide]
 *
 * Prints rows/s of add() alone and of the whole loop (JSON.parse included), and RSS at the start,
 * every 2M rows and at the end. Defaults: 10M rows through a 10,000-row window sliding by 1000.
 */
import { buildProfile } from '../profile/index.ts'
import { random } from '../stats/testing/index.ts'
import { DriftWindows } from './index.ts'

const [rowsArg, sizeArg, slideArg] = process.argv.slice(2)
const TOTAL = Number(rowsArg ?? 10_000_000)
const SIZE = Number(sizeArg ?? 10_000)
const SLIDE = Number(slideArg ?? 1_000)
const BATCH = 1000
const FEATURES = Array.from({ length: 20 }, (_, f) => `f${f}`)
// Distinct JSON batches to parse in turn: fresh objects every batch, as from a socket.
const DISTINCT_BATCHES = 64
const REPORT_EVERY = 2_000_000

const seeded = random(42)
// Feature f: mean f, standard deviation 1 + f, four decimals as a model server would log them.
const row = () =>
  Object.fromEntries(
    FEATURES.map((name, f) => [name, Math.round((f + seeded.normal() * (1 + f)) * 1e4) / 1e4]),
  )
const texts = Array.from({ length: DISTINCT_BATCHES }, () =>
  JSON.stringify(Array.from({ length: BATCH }, row)),
)
const reference = Object.fromEntries(FEATURES.map((name) => [name, [] as number[]]))
for (const text of texts.slice(0, 5)) {
  for (const r of JSON.parse(text) as Array<Record<string, number>>) {
    for (const name of FEATURES) reference[name]?.push(r[name] as number)
  }
}
const windows = new DriftWindows(buildProfile(reference), {
  kind: 'count',
  size: SIZE,
  slide: SLIDE,
})

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`
console.log(
  `${TOTAL.toLocaleString()} rows × ${FEATURES.length} numerical features, count window of ${SIZE} sliding by ${SLIDE}`,
)
const start = process.memoryUsage()
const memory = () => {
  const { rss, heapUsed, external } = process.memoryUsage()
  const growth = `${rss >= start.rss ? '+' : ''}${mb(rss - start.rss)}`
  return `rss ${mb(rss)} (${growth}), heap used ${mb(heapUsed)}, external ${mb(external)}`
}
console.log(
  `      start: rss ${mb(start.rss)}, heap used ${mb(start.heapUsed)}, external ${mb(start.external)}`,
)

let ingestNs = 0n
let emitted = 0
const begin = process.hrtime.bigint()
for (let done = 0; done < TOTAL; ) {
  const rows = JSON.parse(texts[(done / BATCH) % DISTINCT_BATCHES] as string) as unknown[]
  const before = process.hrtime.bigint()
  emitted += windows.add(rows).length
  ingestNs += process.hrtime.bigint() - before
  done += BATCH
  if (done % REPORT_EVERY === 0 || done >= TOTAL) {
    const rate = (seconds: number) => Math.round(done / seconds).toLocaleString()
    const wall = Number(process.hrtime.bigint() - begin) / 1e9
    console.log(
      `${done.toLocaleString().padStart(11)}: add ${rate(Number(ingestNs) / 1e9)} rows/s ` +
        `(${rate(wall)} with JSON.parse), ${memory()}`,
    )
  }
}
console.log(`${emitted.toLocaleString()} windows emitted; held now:`, windows.footprint())
