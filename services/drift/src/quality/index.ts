/**
 * Data quality of incoming rows against a reference profile: per feature, how many values were
 * missing, outside the reference's range, categories the reference never saw, or of the wrong type
 * (rules in ./values.ts). Counting never throws, whatever the rows hold.
 */
import type { FeatureQuality, QualityReport } from '../evaluation/index.ts'
import type { ReferenceProfile } from '../profile/types.ts'
import { OVERFLOW_CATEGORY } from '../sketch/index.ts'
import { isNumberKey, readCategory, readNumber } from './values.ts'

export { readCategory, readNumber } from './values.ts'

/** Unknown feature names kept per counter, so rows with random keys cannot grow it. */
export const MAX_UNKNOWN_FEATURES = 100

/**
 * What counting needs from a profile, computed once and shared by every counter: the columns
 * split by type (numerical first in `index`), ranges and category sets.
 */
export interface QualityLayout {
  /** Profile column names, in profile order. */
  readonly columns: readonly string[]
  readonly numerical: readonly string[]
  readonly categorical: readonly string[]
  /** Column name → position among numerical columns, then categorical ones after them. */
  readonly index: ReadonlyMap<string, number>
  /** Reference [min, max] by numerical column; (−∞, ∞) when the reference had no values. */
  readonly low: Float64Array
  readonly high: Float64Array
  /** Reference categories; undefined when the reference overflowed its cap, so unseen is unknowable. */
  readonly known: ReadonlyArray<ReadonlySet<string> | undefined>
  /** Whether the reference's categories are numbers, so incoming numbers are categories too. */
  readonly numbersAllowed: readonly boolean[]
  /** By position: the name is also an Object.prototype member, so only an own property counts. */
  readonly guarded: readonly boolean[]
  /** The profile's vector columns: known, though counted elsewhere (../embeddings). */
  readonly vectors: ReadonlySet<string>
}

export function qualityLayout(profile: ReferenceProfile): QualityLayout {
  const columns = Object.keys(profile.columns)
  const entries = Object.entries(profile.columns)
  const numerical: string[] = []
  const low: number[] = []
  const high: number[] = []
  const categorical: string[] = []
  const known: Array<Set<string> | undefined> = []
  const numbersAllowed: boolean[] = []
  for (const [name, column] of entries) {
    if (column.type === 'numerical') {
      numerical.push(name)
      low.push(column.min ?? Number.NEGATIVE_INFINITY)
      high.push(column.max ?? Number.POSITIVE_INFINITY)
    } else {
      const keys = Object.keys(column.frequencies)
      categorical.push(name)
      known.push(Object.hasOwn(column.frequencies, OVERFLOW_CATEGORY) ? undefined : new Set(keys))
      numbersAllowed.push(keys.some(isNumberKey))
    }
  }
  const ordered = [...numerical, ...categorical]
  return {
    columns,
    numerical,
    categorical,
    index: new Map(ordered.map((name, i) => [name, i])),
    low: Float64Array.from(low),
    high: Float64Array.from(high),
    known,
    numbersAllowed,
    guarded: ordered.map((name) => name in Object.prototype),
    vectors: new Set(Object.keys(profile.embeddings ?? {})),
  }
}

const NO_FIELDS: Record<string, unknown> = Object.freeze(Object.create(null))

/** Quality counts over the rows read so far; counters over parts of a stream merge. */
export class QualityCounter {
  rows = 0
  // Counts by column position (see QualityLayout.index); plain arrays of small integers, as
  // windows make and drop counters often and typed arrays would each cost a native buffer.
  readonly #present: number[]
  readonly #missing: number[]
  readonly #outOfRange: number[]
  readonly #unseen: number[]
  readonly #wrongType: number[]
  readonly #unknown = new Set<string>()

  constructor(readonly layout: QualityLayout) {
    const zeros = () => new Array<number>(layout.index.size).fill(0)
    this.#present = zeros()
    this.#missing = zeros()
    this.#outOfRange = zeros()
    this.#unseen = zeros()
    this.#wrongType = zeros()
  }

  /**
   * Counts one row and leaves its values, read as the profile types them, in the scratch arrays:
   * `numbers` by numerical column (NaN when missing or of the wrong type), `categories` by
   * categorical column (null likewise). Anything but a plain object reads as a row of nothing.
   */
  read(row: unknown, numbers: Float64Array, categories: Array<string | null>): void {
    const { layout } = this
    const record =
      typeof row === 'object' && row !== null && !Array.isArray(row)
        ? (row as Record<string, unknown>)
        : NO_FIELDS
    this.rows++
    let found = 0
    const width = layout.numerical.length
    for (let i = 0; i < width; i++) {
      const value = field(record, layout.numerical[i] as string, layout.guarded[i] as boolean)
      if (value !== undefined) {
        found++
        increment(this.#present, i)
      }
      const x = readNumber(value)
      if (x === undefined) {
        increment(this.#wrongType, i)
        numbers[i] = Number.NaN
      } else {
        if (Number.isNaN(x)) {
          increment(this.#missing, i)
        } else if (x < (layout.low[i] as number) || x > (layout.high[i] as number)) {
          increment(this.#outOfRange, i)
        }
        numbers[i] = x
      }
    }
    for (let j = 0; j < layout.categorical.length; j++) {
      const c = width + j
      const value = field(record, layout.categorical[j] as string, layout.guarded[c] as boolean)
      if (value !== undefined) {
        found++
        increment(this.#present, c)
      }
      const key = readCategory(value, layout.numbersAllowed[j] as boolean)
      if (key === undefined) increment(this.#wrongType, c)
      else if (key === null) increment(this.#missing, c)
      else if (layout.known[j]?.has(key) === false) increment(this.#unseen, c)
      categories[j] = key ?? null
    }
    // Counting keys needs no allocation; only a row with extra keys is searched for them.
    let keys = 0
    for (const _ in record) keys++
    if (keys > found) this.#noteUnknown(record)
  }

  merge(other: QualityCounter): void {
    this.rows += other.rows
    const theirs = other.#tallies()
    this.#tallies().forEach((mine, t) => {
      const add = theirs[t] as number[]
      for (let i = 0; i < mine.length; i++) mine[i] = (mine[i] as number) + (add[i] as number)
    })
    for (const name of other.#unknown) this.#addUnknown(name)
  }

  copyFrom(other: QualityCounter): void {
    this.reset()
    this.merge(other)
  }

  reset(): void {
    this.rows = 0
    for (const tally of this.#tallies()) tally.fill(0)
    this.#unknown.clear()
  }

  /**
   * The report, features in profile order. A feature absent from a row counts as missing in it;
   * absent from every row, it is also listed in missing_features. Unknown features are listed up
   * to MAX_UNKNOWN_FEATURES names, sorted.
   */
  report(): QualityReport {
    const { layout, rows } = this
    const rate = (count: number) => (rows === 0 ? 0 : count / rows)
    const features = Object.fromEntries(
      layout.columns.map((name): [string, FeatureQuality] => {
        const i = layout.index.get(name) as number
        const missing = this.#missing[i] as number
        const outOfRange = this.#outOfRange[i] as number
        const unseen = this.#unseen[i] as number
        const wrongType = this.#wrongType[i] as number
        return [
          name,
          {
            missing,
            out_of_range: outOfRange,
            unseen_category: unseen,
            wrong_type: wrongType,
            missing_rate: rate(missing),
            out_of_range_rate: rate(outOfRange),
            unseen_category_rate: rate(unseen),
            wrong_type_rate: rate(wrongType),
          },
        ]
      }),
    )
    return {
      rows,
      features,
      missing_features:
        rows === 0
          ? []
          : layout.columns.filter((name) => this.#present[layout.index.get(name) as number] === 0),
      unknown_features: [...this.#unknown].sort(),
    }
  }

  #tallies(): number[][] {
    return [this.#present, this.#missing, this.#outOfRange, this.#unseen, this.#wrongType]
  }

  #noteUnknown(record: Record<string, unknown>): void {
    for (const name in record) {
      if (
        !this.layout.index.has(name) &&
        !this.layout.vectors.has(name) &&
        Object.hasOwn(record, name)
      )
        this.#addUnknown(name)
    }
  }

  #addUnknown(name: string): void {
    if (this.#unknown.size < MAX_UNKNOWN_FEATURES) this.#unknown.add(name)
  }
}

/** Quality of `rows` against `profile`, in one call. */
export function checkQuality(rows: Iterable<unknown>, profile: ReferenceProfile): QualityReport {
  const layout = qualityLayout(profile)
  const counter = new QualityCounter(layout)
  const numbers = new Float64Array(layout.numerical.length)
  const categories: Array<string | null> = []
  for (const row of rows) counter.read(row, numbers, categories)
  return counter.report()
}

function increment(counts: number[], i: number): void {
  counts[i] = (counts[i] as number) + 1
}

/** record[name], counting only own properties where the name is also one of Object's. */
function field(record: Record<string, unknown>, name: string, guarded: boolean): unknown {
  return guarded && !Object.hasOwn(record, name) ? undefined : record[name]
}
