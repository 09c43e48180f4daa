import type { Distribution } from '../evaluation/index.ts'
import type { CategoricalProfile, NumericalProfile, ReferenceProfile } from '../profile/index.ts'
import { type Kll, OVERFLOW_CATEGORY } from '../sketch/index.ts'
import type { WindowSnapshot } from './index.ts'

/** Categories drawn one by one; the rest share one bar. */
export const MAX_PLOTTED_CATEGORIES = 20

/**
 * Reference and window shares side by side, per profile column, for plotting. Numerical columns
 * use the reference histogram's bins, the window's shares read off its sketch (every row, not just
 * the sample); window values beyond the reference's range fall in the end bins. Categorical columns
 * show the union of both sides' categories, the 20 largest by combined share and one "other" for
 * the rest (and for capped-away categories).
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
  const { edges, counts } = column.histogram
  const reference = shares(counts, column.count)
  let current = counts.map(() => 0)
  if (sketch !== undefined && sketch.n > 0) {
    // Exclusive ranks at the inner edges: bins [e_i, e_i+1) as numpy's, open-ended at both ends.
    const cdf = sketch.cdf(edges.slice(1, -1), false)
    current = cdf.map((rank, i) => rank - (i === 0 ? 0 : (cdf[i - 1] as number)))
  }
  return { type: 'numerical', edges, reference, current }
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

function shares(counts: number[], total: number): number[] {
  return counts.map((count) => (total === 0 ? 0 : count / total))
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}
