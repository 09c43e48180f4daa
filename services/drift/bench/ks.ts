import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRandom } from '../../../training/train/index.ts'
import { ks2samp } from '../src/stats/index.ts'

const N = 1_000_000

// scipy times only its own ks_2samp call, on the same values read from the same files.
const SCIPY = `
import sys, time, numpy as np
import scipy
from scipy import stats
x = np.fromfile(sys.argv[1], dtype=np.float64); y = np.fromfile(sys.argv[2], dtype=np.float64)
best = float('inf')
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); r = stats.ks_2samp(x, y, method='auto'); best = min(best, time.perf_counter() - t)
print(best, r.statistic, r.pvalue, scipy.__version__)
`

/** KS on two samples of a million values: Infera against scipy.stats.ks_2samp, best of `runs`. */
export function benchKs(runs = 3) {
  const random = createRandom(7)
  const x = Float64Array.from({ length: N }, () => random.normal())
  const y = Float64Array.from({ length: N }, () => random.normal() * 1.002 + 0.003)
  let best = Number.POSITIVE_INFINITY
  let result = ks2samp(x, y)
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    result = ks2samp(x, y)
    best = Math.min(best, (performance.now() - started) / 1000)
  }
  const dir = mkdtempSync(join(tmpdir(), 'ks-bench-'))
  writeFileSync(join(dir, 'x.bin'), new Uint8Array(x.buffer))
  writeFileSync(join(dir, 'y.bin'), new Uint8Array(y.buffer))
  // Debian's python3-scipy (the goal's reference), and whatever newer scipy `python3` has.
  const scipy = ['/usr/bin/python3', 'python3'].flatMap((python) => {
    const run = spawnSync(
      python,
      ['-c', SCIPY, join(dir, 'x.bin'), join(dir, 'y.bin'), String(runs)],
      {
        encoding: 'utf8',
      },
    )
    if (run.status !== 0) return []
    const [seconds, statistic, pValue, version] = run.stdout.trim().split(' ')
    return [
      {
        python,
        version: version as string,
        seconds: Number(seconds),
        statistic: Number(statistic),
        pValue: Number(pValue),
      },
    ]
  })
  const distinct = scipy.filter((run, i) => scipy.findIndex((r) => r.version === run.version) === i)
  return {
    infera: { seconds: best, statistic: result.statistic, pValue: result.pValue },
    scipy: distinct,
  }
}
