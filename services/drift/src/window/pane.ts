import type { QualityLayout } from '../quality/index.ts'
import { type Kll, Random, ReservoirSlots } from '../sketch/index.ts'
import { Summary } from './summary.ts'
import type { PaneVectors } from './vectors.ts'

/**
 * One slide's worth of rows: a row reservoir stored column by column in buffers allocated once
 * (numbers in Float64Arrays, NaN for missing), and the Summary of every row.
 */
export class Pane {
  /** Time windows: floor(ts / slide), the pane's place on the clock. */
  index = 0
  rows = 0
  /** Earliest and latest row timestamps, ms. */
  first = Number.POSITIVE_INFINITY
  last = Number.NEGATIVE_INFINITY
  readonly slots: ReservoirSlots
  /** Sampled values by numerical column, then by slot. */
  readonly numbers: Float64Array[]
  /** Sampled category keys by categorical column, then by slot; null when missing or wrong. */
  readonly categories: Array<Array<string | null>>
  readonly summary: Summary
  /** The vector columns' own reservoir, when the profile has any. */
  vectors: PaneVectors | undefined

  constructor(layout: QualityLayout, capacity: number, seed: number) {
    const random = new Random(seed)
    this.slots = new ReservoirSlots(capacity, random)
    this.numbers = layout.numerical.map(() => new Float64Array(capacity))
    this.categories = layout.categorical.map(() => new Array<string | null>(capacity).fill(null))
    this.summary = Summary.empty(layout, random)
  }

  /**
   * Counts one row. `numbers` and `categories` are the caller's scratch arrays, reused row after
   * row, so nothing here allocates per value.
   */
  add(row: unknown, time: number, numbers: Float64Array, categories: Array<string | null>): void {
    const { summary } = this
    this.rows++
    if (time < this.first) this.first = time
    if (time > this.last) this.last = time
    summary.quality.read(row, numbers, categories)
    this.vectors?.add(row)
    // One decision per row: a sampled row keeps all its columns.
    const slot = this.slots.next()
    for (let i = 0; i < numbers.length; i++) {
      const x = numbers[i] as number
      ;(summary.sketches[i] as Kll).update(x)
      if (slot >= 0) (this.numbers[i] as Float64Array)[slot] = x
    }
    for (let j = 0; j < categories.length; j++) {
      const key = categories[j] as string | null
      if (key !== null) summary.counts[j]?.add(key)
      if (slot >= 0) (this.categories[j] as Array<string | null>)[slot] = key
    }
  }

  /**
   * Empties the pane for reuse, buffers and all. Its summary may be reset in place: windows only
   * ever hand out copies of it, and it has left the window's SlidingMerge before the pane is reused.
   */
  reset(index: number): void {
    this.index = index
    this.rows = 0
    this.first = Number.POSITIVE_INFINITY
    this.last = Number.NEGATIVE_INFINITY
    this.slots.reset()
    this.vectors?.reset()
    this.summary.reset()
  }
}
