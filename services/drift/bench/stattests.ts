import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRandom } from '../../../training/train/index.ts'
import {
  andersonDarling,
  cramerVonMises,
  energyDistance,
  eppsSingleton,
  mannWhitneyU,
  tTest,
} from '../src/stats/index.ts'

/** One drift test timed beside the scipy call it reproduces, both on the same two samples. */
export interface StattestEntry {
  name: string
  ours: (x: Float64Array, y: Float64Array) => unknown
  /** A Python expression over numpy arrays `x` and `y`, with `np`, `stats` and `special`. */
  scipyCall: string
}

export interface StattestTiming {
  name: string
  seconds: number
  /** scipy's best time by interpreter: Debian's python3-scipy, and whatever `python3` has. */
  scipy: Array<{ version: string; seconds: number }>
}

export const SIZE = 100_000

// scipy times only its own call, each expression on the same values read from the same files.
const SCIPY = `
import json, sys, time, warnings
import numpy as np
import scipy
from scipy import special, stats
warnings.simplefilter('ignore')
x = np.fromfile(sys.argv[1], dtype=np.float64); y = np.fromfile(sys.argv[2], dtype=np.float64)
calls = json.loads(sys.argv[3]); runs = int(sys.argv[4])
best = []
for call in calls:
    code = compile(call, 'call', 'eval'); b = float('inf')
    for _ in range(runs):
        t = time.perf_counter(); eval(code); b = min(b, time.perf_counter() - t)
    best.append(b)
print(json.dumps({'version': scipy.__version__, 'seconds': best}))
`

/** Two samples of 100,000 values, the second slightly shifted and scaled. */
export function numericalSamples(): { x: Float64Array; y: Float64Array } {
  const random = createRandom(11)
  const x = Float64Array.from({ length: SIZE }, () => random.normal())
  const y = Float64Array.from({ length: SIZE }, () => random.normal() * 1.01 + 0.01)
  return { x, y }
}

/** Each entry on the same samples, best of `runs` (ours after a warm-up call), ours and scipy's. */
export function benchStattests(
  entries: StattestEntry[],
  { x, y } = numericalSamples(),
  runs = 5,
): StattestTiming[] {
  const dir = mkdtempSync(join(tmpdir(), 'stattests-bench-'))
  writeFileSync(join(dir, 'x.bin'), new Uint8Array(x.buffer, x.byteOffset, x.byteLength))
  writeFileSync(join(dir, 'y.bin'), new Uint8Array(y.buffer, y.byteOffset, y.byteLength))
  const calls = JSON.stringify(entries.map((entry) => entry.scipyCall))
  const scipy = ['/usr/bin/python3', 'python3'].flatMap((python) => {
    const run = spawnSync(
      python,
      ['-c', SCIPY, join(dir, 'x.bin'), join(dir, 'y.bin'), calls, String(runs)],
      { encoding: 'utf8' },
    )
    if (run.status !== 0) return []
    return [JSON.parse(run.stdout) as { version: string; seconds: number[] }]
  })
  const distinct = scipy.filter((run, i) => scipy.findIndex((r) => r.version === run.version) === i)
  return entries.map((entry, i) => {
    // One untimed call first: V8 compiles the hot loops on it, as a long-running service would.
    entry.ours(x, y)
    let best = Number.POSITIVE_INFINITY
    for (let r = 0; r < runs; r++) {
      const started = performance.now()
      entry.ours(x, y)
      best = Math.min(best, (performance.now() - started) / 1000)
    }
    return {
      name: entry.name,
      seconds: best,
      scipy: distinct.map((run) => ({ version: run.version, seconds: run.seconds[i] as number })),
    }
  })
}

/** A markdown table of the timings, with ours / scipy for each scipy found (goal ≤ 2). */
export function printStattests(title: string, timings: StattestTiming[]) {
  console.log(`\n## ${title}\n`)
  const versions = [...new Set(timings.flatMap((t) => t.scipy.map((s) => s.version)))]
  console.log(
    `| test | infera s | ${versions.map((v) => `scipy ${v} s | infera / scipy ${v}`).join(' | ')} |`,
  )
  console.log(`|---|---:|${versions.map(() => '---:|---:').join('|')}|`)
  for (const timing of timings) {
    const cells = versions.map((version) => {
      const run = timing.scipy.find((s) => s.version === version)
      return run
        ? `${run.seconds.toFixed(4)} | ${(timing.seconds / run.seconds).toFixed(2)}×`
        : 'n/a | n/a'
    })
    console.log(`| ${timing.name} | ${timing.seconds.toFixed(4)} | ${cells.join(' | ')} |`)
  }
  if (versions.length === 0)
    console.log('\nscipy skipped: no python3 with scipy (apt-get install python3-scipy)')
}

/** Evidently's numerical stattests, each beside the scipy call Evidently makes. */
export const NUMERICAL_STATTESTS: StattestEntry[] = [
  { name: 'anderson', ours: andersonDarling, scipyCall: 'stats.anderson_ksamp([x, y])' },
  {
    name: 'cramer_von_mises',
    ours: cramerVonMises,
    scipyCall: 'stats.cramervonmises_2samp(x, y)',
  },
  { name: 'ed', ours: energyDistance, scipyCall: 'stats.energy_distance(x, y)' },
  { name: 'es', ours: eppsSingleton, scipyCall: 'stats.epps_singleton_2samp(x, y)' },
  { name: 'mannw', ours: mannWhitneyU, scipyCall: 'stats.mannwhitneyu(x, y, alternative="less")' },
  { name: 't_test', ours: tTest, scipyCall: 'stats.ttest_ind(x, y)' },
]
