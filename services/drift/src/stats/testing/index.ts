/**
 * Test support: the statistics are checked against scipy/numpy run in a python3 subprocess, and on
 * seeded random samples so every run sees the same data.
 */
import { spawnSync } from 'node:child_process'
import { findPython, SCIPY_MODULES } from '../../../../../testing/tools/index.ts'

// JSON has no NaN or ±Infinity: both sides carry them as strings.
const PRELUDE = `
import json, math, sys
import numpy as np
from scipy import spatial, special, stats
def _enc(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_enc(x) for x in v]
    if isinstance(v, dict):
        return {k: _enc(x) for k, x in v.items()}
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return v if math.isfinite(v) else str(v)
    if isinstance(v, np.integer):
        return int(v)
    return v
def _dec(v):
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if isinstance(v, dict):
        return {k: _dec(x) for k, x in v.items()}
    return float(v) if v in ('nan', 'inf', '-inf') else v
data = _dec(json.load(sys.stdin))
`
const POSTLUDE = '\nprint(json.dumps(_enc(result)))\n'
const NON_FINITE: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
}

/**
 * A python3 run of `code` with `data` bound to the JSON-decoded input (typed arrays become lists),
 * yielding whatever the code assigned to `result`. It runs on the first call of the returned
 * function, from inside a test of a `describeWith(installed('scipy'), …)` block, so blocks
 * skipped for want of scipy never start python; later calls reuse the answer. Batch many cases into one run: each start pays for importing scipy.
 */
export function python<T>(code: string, data: unknown): () => T {
  let answer: { value: T } | undefined
  return () => {
    answer ??= { value: runPython<T>(code, data) }
    return answer.value
  }
}

function runPython<T>(code: string, data: unknown): T {
  const input = JSON.stringify(data, (_, v: unknown) => {
    if (ArrayBuffer.isView(v)) return Array.from(v as Float64Array, encodeNumber)
    return typeof v === 'number' ? encodeNumber(v) : v
  })
  const interpreter = findPython(SCIPY_MODULES)
  if (!interpreter)
    throw new Error("no python3 with scipy: declare the block with installed('scipy')")
  const run = spawnSync(interpreter, ['-c', PRELUDE + code + POSTLUDE], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`)
  return JSON.parse(run.stdout, (_, v: unknown) =>
    typeof v === 'string' && v in NON_FINITE ? NON_FINITE[v] : v,
  ) as T
}

function encodeNumber(v: number): number | string {
  if (Number.isFinite(v)) return v
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf'
}

/** |actual - expected| / |expected|; absolute next to 0, and 0 when both are the same infinity. */
export function relativeError(actual: number, expected: number): number {
  if (actual === expected) return 0
  return expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected)
}

/** Seeded generator (mulberry32) of uniform and normal draws. */
export function random(seed: number) {
  let state = seed >>> 0
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())
  return {
    uniform,
    normal,
    normals: (n: number, mean = 0, sd = 1) =>
      Float64Array.from({ length: n }, () => mean + sd * normal()),
    /** Integers in [0, k): samples with many ties. */
    integers: (n: number, k: number) =>
      Float64Array.from({ length: n }, () => Math.floor(uniform() * k)),
  }
}
