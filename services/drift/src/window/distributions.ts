import type { Distribution } from '../evaluation/index.ts'
import type { CategoricalProfile, NumericalProfile, ReferenceProfile } from '../profile/index.ts'
import { niceEdges } from '../scale/index.ts'
import { Kll, OVERFLOW_CATEGORY } from '../sketch/index.ts'
import type { WindowSnapshot } from './types.ts'

/** Categories drawn one by one; the rest share one bar. */
export const MAX_PLOTTED_CATEGORIES = 20

/**
 * Reference and window shares side by side, per profile column, for plotting. Numerical columns
 * are binned as Evidently's report bins them, over both sides' range together (round edges, about
 * as many bins as the reference's Sturges histogram), so a window value beyond the reference's
 * range is drawn where it lies; both sides' shares are read off their KLL sketches (every row, not
 * just the samples; exact up to ~k rows, within the sketch's rank error past that). Categorical
 * columns show the union of both sides' categories, the 20 largest by combined share and one
 * "other" for the rest (and for capped-away categories); numbers as categories in numeric order.
 */
export function distributions(
  snapshot: WindowSnapshot,
  profile: ReferenceProfile,
): Record<string, Distribution> {
  return Object.fromEntries(
    Object.entries(profile.columns).map(([name, column]): [string, Distribution] => [
      name,
      column.type === 'numerical'
        ? numerical(column, own(snapshot.sketches, name))
        : categorical(column, own(snapshot.counts, name) ?? new Map()),
    ]),
  )
}

function numerical(column: NumericalProfile, sketch: Kll | undefined): Distribution {
  const window = sketch !== undefined && sketch.n > 0 ? sketch : undefined
  const reference = column.count > 0 ? referenceSketch(column) : undefined
  const sides = [reference, window].filter((side) => side !== undefined)
  const edges =
    sides.length === 0
      ? column.histogram.edges
      : niceEdges(
          Math.min(...sides.map((side) => side.min)),
          Math.max(...sides.map((side) => side.max)),
          column.histogram.counts.length,
        )
  const shares = (side: Kll | undefined) => (side ? binShares(side, edges) : edges.slice(1).fill(0))
  return { type: 'numerical', edges, reference: shares(reference), current: shares(window) }
}

/** The profile's KLL sketch, restored once per profile (a copy of a few thousand numbers at most). */
const referenceSketches = new WeakMap<NumericalProfile, Kll>()
export function referenceSketch(column: NumericalProfile): Kll {
  let sketch = referenceSketches.get(column)
  if (!sketch) {
    sketch = Kll.fromJSON(column.sketch)
    referenceSketches.set(column, sketch)
  }
  return sketch
}

/**
 * Shares per bin [e_i, e_i+1) as numpy's, the last closed: the edges span the sketch's range, so
 * exclusive ranks at the inner edges split every value into exactly one bin.
 */
function binShares(sketch: Kll, edges: number[]): number[] {
  const cdf = sketch.cdf(edges.slice(1, -1), false)
  return cdf.map((rank, i) => rank - (i === 0 ? 0 : (cdf[i - 1] as number)))
}

function categorical(column: CategoricalProfile, counts: Map<string, number>): Distribution {
  const referenceTotal = column.count
  const currentTotal = [...counts.values()].reduce((sum, count) => sum + count, 0)
  const share = (count: number | undefined, total: number) =>
    total === 0 || count === undefined ? 0 : count / total
  const names = new Set([...Object.keys(column.frequencies), ...counts.keys()])
  names.delete(OVERFLOW_CATEGORY)
  const rows = [...names].map((name) => ({
    name,
    reference: share(own(column.frequencies, name), referenceTotal),
    current: share(counts.get(name), currentTotal),
  }))
  rows.sort(
    (a, b) => b.reference + b.current - (a.reference + a.current) || (a.name < b.name ? -1 : 1),
  )
  const shown = rows.slice(0, MAX_PLOTTED_CATEGORIES)
  const rest = rows.slice(MAX_PLOTTED_CATEGORIES)
  // Codes such as cylinders 4, 6, 8 read in their order; names stay largest first.
  if (shown.every((row) => isNumeric(row.name)))
    shown.sort((a, b) => Number(a.name) - Number(b.name))
  const overflow = {
    reference: share(own(column.frequencies, OVERFLOW_CATEGORY), referenceTotal),
    current: share(counts.get(OVERFLOW_CATEGORY), currentTotal),
  }
  if (rest.length > 0 || overflow.reference > 0 || overflow.current > 0) {
    let label = 'other'
    while (names.has(label)) label = `(${label})`
    shown.push({
      name: label,
      reference: rest.reduce((sum, row) => sum + row.reference, overflow.reference),
      current: rest.reduce((sum, row) => sum + row.current, overflow.current),
    })
  }
  return {
    type: 'categorical',
    categories: shown.map((row) => row.name),
    reference: shown.map((row) => row.reference),
    current: shown.map((row) => row.current),
  }
}

const isNumeric = (name: string) => name.trim() !== '' && Number.isFinite(Number(name))

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}
