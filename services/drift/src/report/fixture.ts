/**
 * Test data: a realistic evaluation of a penguin-species classifier, its drift decided by
 * `detectDrift` on Palmer penguins. The reference holds two in three penguins of Biscoe and Dream;
 * the window holds those of the third that are Gentoo or from Torgersen, an island the reference
 * never saw, and three of them lack their sex. Flipper length, body mass and island drift; bill
 * length and sex do not.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadPenguins, type Penguin, toCsv } from '../../../../training/datasets/index.ts'
import { compareFiles, comparisonEvaluation } from '../compare/index.ts'
import { isMissing } from '../detect/columns.ts'
import { detectDrift, type Table, type Value } from '../detect/index.ts'
import type { Distribution, DriftEvaluation, FeatureQuality } from '../evaluation/types.ts'
import { niceEdges } from '../scale/index.ts'
import { categoryCounts, histogram, sturgesEdges } from '../stats/index.ts'

const NUMERICAL = ['bill_length_mm', 'flipper_length_mm', 'body_mass_g'] as const
const CATEGORICAL = ['sex', 'island'] as const
// Drifted and undrifted features interleaved, so the report has to reorder them.
const COLUMNS = ['bill_length_mm', 'sex', 'flipper_length_mm', 'body_mass_g', 'island'] as const
const MISSING_SEX = 3

export async function penguinsEvaluation(): Promise<DriftEvaluation> {
  const penguins = await loadPenguins()
  const reference = table(penguins.filter((p, i) => i % 3 !== 0 && p.island !== 'Torgersen'))
  const current = table(
    penguins.filter((p, i) => i % 3 === 0 && (p.species === 'Gentoo' || p.island === 'Torgersen')),
  )
  current.sex = current.sex?.map((sex, i) => (i < MISSING_SEX ? null : sex)) ?? []
  // A wasserstein distance beside the p-value tests, and a low large-sample bar, so the report
  // shows a p-value-less row and the large-sample warnings.
  const drift = detectDrift(reference, current, {
    methods: { body_mass_g: 'wasserstein' },
    largeSample: 40,
  })
  const rows = current.flipper_length_mm?.length ?? 0
  const start = '2025-06-02T08:00:00.000Z'
  const end = '2025-06-02T11:47:31.000Z'
  return {
    model: 'penguin-species',
    version: '3',
    evaluated_at: '2025-06-02T11:48:02.117Z',
    window: { id: `penguin-species:3:${start}:${end}`, kind: 'count', start, end, rows },
    reference_rows: reference.flipper_length_mm?.length ?? 0,
    drift,
    quality: {
      rows,
      features: Object.fromEntries(
        COLUMNS.map((f) => [f, quality(reference[f] ?? [], current[f] ?? [])]),
      ),
      missing_features: [],
      unknown_features: [],
    },
    performance: { task: 'classification', labelled_rows: 41, accuracy: 0.934, macro_f1: 0.871 },
    distributions: Object.fromEntries([
      ...NUMERICAL.map((f) => [f, numerical(reference[f] ?? [], current[f] ?? [])]),
      ...CATEGORICAL.map((f) => [f, categorical(reference[f] ?? [], current[f] ?? [])]),
    ]),
  }
}

function table(penguins: Penguin[]): Table & Record<string, Value[]> {
  return Object.fromEntries(COLUMNS.map((c) => [c, penguins.map((p) => p[c])]))
}

const present = (values: readonly Value[]) => values.filter((v) => !isMissing(v))

function quality(reference: readonly Value[], current: readonly Value[]): FeatureQuality {
  const seen = new Set(present(reference))
  const numbers = present(reference).filter((v) => typeof v === 'number')
  const [min, max] = [Math.min(...numbers), Math.max(...numbers)]
  const missing = current.length - present(current).length
  const outOfRange = present(current).filter(
    (v) => typeof v === 'number' && (v < min || v > max),
  ).length
  const unseen = present(current).filter((v) => typeof v === 'string' && !seen.has(v)).length
  const rate = (count: number) => count / current.length
  return {
    missing,
    out_of_range: outOfRange,
    unseen_category: unseen,
    wrong_type: 0,
    missing_rate: rate(missing),
    out_of_range_rate: rate(outOfRange),
    unseen_category_rate: rate(unseen),
    wrong_type_rate: 0,
  }
}

function numerical(reference: readonly Value[], current: readonly Value[]): Distribution {
  const ref = Float64Array.from(present(reference) as number[])
  const cur = Float64Array.from(present(current) as number[])
  // As the service bins: round edges over both sides' range, about Sturges' count for the reference.
  const pooled = [...ref, ...cur]
  const edges = Float64Array.from(
    niceEdges(Math.min(...pooled), Math.max(...pooled), sturgesEdges(ref).length - 1),
  )
  const shares = (values: Float64Array) =>
    Array.from(histogram(values, edges), (count) => count / values.length)
  return { type: 'numerical', edges: [...edges], reference: shares(ref), current: shares(cur) }
}

function categorical(reference: readonly Value[], current: readonly Value[]): Distribution {
  const ref = present(reference) as string[]
  const cur = present(current) as string[]
  const counts = categoryCounts(ref, cur)
  const shares = (values: Float64Array, total: number) =>
    Array.from(values, (count) => count / total)
  return {
    type: 'categorical',
    categories: counts.keys.map(String),
    reference: shares(counts.reference, ref.length),
    current: shares(counts.current, cur.length),
  }
}

const PENGUIN_COLUMNS = [
  'island',
  'bill_length_mm',
  'bill_depth_mm',
  'flipper_length_mm',
  'body_mass_g',
  'sex',
] as const

/**
 * `infera drift compare` on two real files: Adelie and Chinstrap penguins of Biscoe and Dream as
 * the reference; as the current file, Gentoo (heavier than any reference penguin: up to 6300 g
 * against 4800) and the Adelie of Torgersen, an island the reference never saw.
 */
export async function penguinsComparison() {
  const penguins = await loadPenguins()
  const reference = penguins.filter((p) => p.species !== 'Gentoo' && p.island !== 'Torgersen')
  const current = penguins.filter((p) => p.species === 'Gentoo' || p.island === 'Torgersen')
  const evaluation = await compareCsv(reference, current)
  return { reference, current, evaluation }
}

/**
 * The evaluations of `windows` windows whose share of Gentoo grows from none to all: what the
 * service's history holds for a model drifting away, an hour apart, oldest first.
 */
export async function penguinsHistory(windows: number): Promise<DriftEvaluation[]> {
  const penguins = await loadPenguins()
  const reference = penguins.filter((p, i) => p.species !== 'Gentoo' && i % 2 === 0)
  const others = penguins.filter((p, i) => p.species !== 'Gentoo' && i % 2 === 1)
  const gentoo = penguins.filter((p) => p.species === 'Gentoo')
  const history: DriftEvaluation[] = []
  for (let w = 0; w < windows; w++) {
    const share = w / (windows - 1)
    const current = [
      ...others.slice(0, Math.round((1 - share) * 60)),
      ...gentoo.slice(0, Math.round(share * 60)),
    ]
    const evaluation = await compareCsv(reference, current)
    const start = new Date(Date.UTC(2025, 5, 2, 8 + w)).toISOString()
    const end = new Date(Date.UTC(2025, 5, 2, 9 + w)).toISOString()
    const { files: _, ...streamed } = evaluation
    history.push({
      ...streamed,
      model: 'penguin-species',
      version: '3',
      evaluated_at: end,
      window: {
        id: `penguin-species:3:${start}:${end}`,
        kind: 'time',
        start,
        end,
        rows: current.length,
      },
    })
  }
  return history
}

async function compareCsv(reference: Penguin[], current: Penguin[]): Promise<DriftEvaluation> {
  const dir = await mkdtemp(join(tmpdir(), 'drift-compare-'))
  try {
    const files = { reference: join(dir, 'reference.csv'), current: join(dir, 'current.csv') }
    await writeFile(files.reference, toCsv(PENGUIN_COLUMNS, reference))
    await writeFile(files.current, toCsv(PENGUIN_COLUMNS, current))
    return comparisonEvaluation(await compareFiles(files), files)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
