/**
 * Ingest benchmark: rows of 20 numerical features, parsed from JSON in batches of 1000 as the
 * model server's log would give them, through a count-based sliding window.
 *
 *   npx tsx services/drift/src/window/bench.ts [rows] [size] [slide]
 *
 * Prints rows/s of add() alone and of the whole loop (parsing included), and RSS at the start,
 * every 2M rows and at the end.
 */
import { buildProfile } from '../profile/index.ts'
import { Random } from '../sketch/index.ts'
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

const random = new Random(42)
const normal = () =>
  Math.sqrt(-2 * Math.log(1 - random.uniform())) * Math.cos(2 * Math.PI * random.uniform())
const row = () =>
  Object.fromEntries(
    FEATURES.map((name, f) => [name, Math.round((f + normal() * (1 + f)) * 1e4) / 1e4]),
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
const rssStart = process.memoryUsage().rss
console.log(
  `${TOTAL.toLocaleString()} rows × ${FEATURES.length} numerical features, window ${SIZE} sliding ${SLIDE}`,
)
console.log(`start: rss ${mb(rssStart)}`, process.memoryUsage())

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
    const wall = Number(process.hrtime.bigint() - begin) / 1e9
    const { rss, heapTotal, heapUsed, external } = process.memoryUsage()
    console.log(`heapTotal ${mb(heapTotal)} heapUsed ${mb(heapUsed)} external ${mb(external)}`)
    console.log(
      `${done.toLocaleString().padStart(11)} rows: add ${Math.round(done / (Number(ingestNs) / 1e9)).toLocaleString()} rows/s, ` +
        `with parsing ${Math.round(done / wall).toLocaleString()} rows/s, rss ${mb(rss)} (${rss >= rssStart ? '+' : ''}${mb(rss - rssStart)})`,
    )
  }
}
console.log(`${emitted} windows emitted; retained`, windows.footprint())
