import type { CategoricalSummary, FeatureSummary, NumericalSummary } from '../evaluation/index.ts'
import type { NumericalProfile, ReferenceProfile } from '../profile/index.ts'
import { type Kll, OVERFLOW_CATEGORY } from '../sketch/index.ts'
import { populationStd } from '../stats/index.ts'
import { referenceSketch } from './distributions.ts'
import type { WindowSnapshot } from './types.ts'

/** Categories listed per side in a categorical summary. */
export const TOP_CATEGORIES = 5

/**
 * Per profile column, the reference's and the window's summary statistics side by side, as
 * Evidently's report tabulates them. Counts, minimum and maximum are exact; quartiles come from the
 * KLL sketches (exact up to ~k values, within their rank error past that); the window's mean and
 * std from its uniform sample (every row up to the sample size), the reference's from all its rows.
 */
export function summaries(
  snapshot: WindowSnapshot,
  profile: ReferenceProfile,
): Record<string, FeatureSummary> {
  return Object.fromEntries(
    Object.entries(profile.columns).map(([name, column]): [string, FeatureSummary] => {
      const quality = Object.hasOwn(snapshot.quality.features, name)
        ? snapshot.quality.features[name]
        : undefined
      // As the profile counts them: a value of the wrong type is no value.
      const missing = (quality?.missing ?? 0) + (quality?.wrong_type ?? 0)
      if (column.type === 'numerical') {
        const sample = (snapshot.table[name] ?? []).filter(
          (v): v is number => typeof v === 'number',
        )
        return [
          name,
          {
            type: 'numerical',
            reference: referenceNumbers(column),
            current: numbers(
              Object.hasOwn(snapshot.sketches, name) ? snapshot.sketches[name] : undefined,
              missing,
              sample,
            ),
          },
        ]
      }
      const counts = Object.hasOwn(snapshot.counts, name) ? snapshot.counts[name] : undefined
      return [
        name,
        {
          type: 'categorical',
          reference: categories(Object.entries(column.frequencies), column.missing),
          current: categories([...(counts ?? new Map())], missing),
        },
      ]
    }),
  )
}

function referenceNumbers(column: NumericalProfile): NumericalSummary {
  const sketch = column.count > 0 ? referenceSketch(column) : undefined
  return {
    ...quartiles(sketch),
    count: column.count,
    missing: column.missing,
    mean: column.mean,
    std: column.std,
    min: column.min,
    max: column.max,
  }
}

function numbers(sketch: Kll | undefined, missing: number, sample: number[]): NumericalSummary {
  const present = sketch !== undefined && sketch.n > 0 ? sketch : undefined
  return {
    ...quartiles(present),
    count: present?.n ?? 0,
    missing,
    mean: sample.length > 0 ? sample.reduce((sum, x) => sum + x, 0) / sample.length : null,
    std: sample.length > 0 ? populationStd(sample) : null,
    min: present?.min ?? null,
    max: present?.max ?? null,
  }
}

function quartiles(sketch: Kll | undefined) {
  const at = (rank: number) => (sketch ? sketch.quantile(rank) : null)
  return { p25: at(0.25), median: at(0.5), p75: at(0.75) }
}

function categories(entries: [string, number][], missing: number): CategoricalSummary {
  const total = entries.reduce((sum, [, count]) => sum + count, 0)
  const named = entries.filter(([name]) => name !== OVERFLOW_CATEGORY)
  named.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
  return {
    count: total,
    missing,
    distinct: named.length,
    top: named
      .slice(0, TOP_CATEGORIES)
      .map(([category, count]) => ({ category, share: total === 0 ? 0 : count / total })),
  }
}
