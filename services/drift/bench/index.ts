// npm run bench:drift — KS against scipy, and streaming ingest rate and memory, in one run.
import { benchIngest } from './ingest.ts'
import { benchKs } from './ks.ts'
import { benchStattests, NUMERICAL_STATTESTS, printStattests } from './stattests.ts'
import { benchCategoricalStattests } from './stattests-categorical.ts'

const ks = benchKs()
console.log('\n## KS on two samples of 1,000,000 values (best of 3)\n')
console.log('| implementation | seconds | statistic | p-value |')
console.log('|---|---:|---:|---:|')
console.log(
  `| infera ks2samp | ${ks.infera.seconds.toFixed(3)} | ${ks.infera.statistic} | ${ks.infera.pValue} |`,
)
for (const run of ks.scipy) {
  console.log(
    `| scipy ${run.version} ks_2samp (${run.python}) | ${run.seconds.toFixed(3)} | ${run.statistic} | ${run.pValue} |`,
  )
}
if (ks.scipy.length === 0)
  console.log('| scipy | skipped: no python3 with scipy (apt-get install python3-scipy) | | |')
for (const run of ks.scipy) {
  console.log(
    `\nscipy ${run.version} / infera time: ${(run.seconds / ks.infera.seconds).toFixed(2)}× (goal ≥ 1× against Debian's python3-scipy)`,
  )
}

printStattests(
  "Evidently's numerical stattests on two samples of 100,000 values (best of 5; goal: infera / scipy ≤ 2×)",
  benchStattests(NUMERICAL_STATTESTS),
)
printStattests(
  "Evidently's categorical and kernel stattests on two samples of 100,000 values (beside numpy where scipy has no such test; goal ≤ 2×)",
  benchCategoricalStattests(),
)

const rows = Number(process.env.BENCH_ROWS ?? 10_000_000)
const ingest = await benchIngest(rows)
console.log(`\n## Ingest: ${rows.toLocaleString('en')} rows of 20 numerical features\n`)
console.log('| rows so far | rows/s | RSS MB |')
console.log('|---:|---:|---:|')
for (const p of ingest.progress)
  console.log(
    `| ${p.rows.toLocaleString('en')} | ${Math.round(p.rate).toLocaleString('en')} | ${p.rss.toFixed(0)} |`,
  )
console.log(
  `\noverall ${Math.round(ingest.rate).toLocaleString('en')} rows/s on one core (goal ≥ 200,000); RSS growth ${ingest.rssGrowth.toFixed(1)} MB after the first window (goal < 50 MB)`,
)
