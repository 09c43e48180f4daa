/**
 * Streaming windows over incoming rows with memory fixed by the options, however long the stream.
 * A window of `size` rows (or ms) sliding by `slide` is a ring of P = size / slide panes, each
 * summarising one slide (./pane.ts). A window is the merge of its panes: its sample a uniform
 * union of the panes' reservoirs, its sketches, counts and quality a SlidingMerge (./sliding.ts)
 * of the closed panes' summaries, so each slide costs a few merges whatever P. The pane that falls
 * out of the window is emptied and refilled with the next slide.
 */
import type { Table, Value } from '../detect/index.ts'
import type { WindowInfo } from '../evaluation/index.ts'
import type { ReferenceProfile } from '../profile/index.ts'
import { type QualityLayout, qualityLayout } from '../quality/index.ts'
import { type Kll, Random, unionSlots } from '../sketch/index.ts'
import { Pane } from './pane.ts'
import { SlidingMerge } from './sliding.ts'
import type { Summary } from './summary.ts'
import type { WindowSnapshot } from './types.ts'
import {
  PaneVectors,
  type VectorLayout,
  vectorCapacity,
  vectorLayout,
  windowVectors,
} from './vectors.ts'

export { distributions, MAX_PLOTTED_CATEGORIES } from './distributions.ts'
export { summaries, TOP_CATEGORIES } from './summaries.ts'
export type { WindowSnapshot } from './types.ts'

export interface WindowOptions {
  /** Windows of `size` rows, or of `size` milliseconds of row time. */
  kind: 'count' | 'time'
  size: number
  /** How far consecutive windows start apart; `size` (tumbling) by default. Must divide `size`. */
  slide?: number
  /** Rows sampled per window for the exact tests; 5000 by default. */
  sampleSize?: number
  /** The clock, ms since the epoch, for rows without timestamps; Date.now by default. */
  now?: () => number
  /** Seeds the reservoirs and sketches, so a replayed stream gives the same windows. */
  seed?: number
}

/** What the windows hold right now, for bounds checks and metrics. */
export interface WindowFootprint {
  panes: number
  /** Rows held in pane reservoirs. */
  sampleRows: number
  /** Items held in the sketches of the panes and of the window's running merges. */
  sketchItems: number
  /** Distinct categories with their own count, likewise. */
  categories: number
}

export const DEFAULT_WINDOW_SAMPLE = 5000
/** The largest time a Date holds, in ms from the epoch either way. */
const MAX_TIME = 8.64e15
/** Memory grows with the pane count (a summary and reservoir each): size / slide stays below this. */
export const MAX_PANES = 1000

export class DriftWindows {
  readonly kind: 'count' | 'time'
  readonly size: number
  readonly slide: number
  readonly sampleSize: number
  /** Rows passed to add. */
  rowsSeen = 0
  /** Time windows: rows dropped because their pane had already closed. */
  lateRows = 0
  readonly #layout: QualityLayout
  readonly #vectors: VectorLayout
  /** Vectors a window's sample holds at most, by column. */
  readonly #vectorSample: number
  /** P panes: the one being filled (at head) and the window's closed ones before it. */
  readonly #ring: Pane[]
  /** Summaries of the closed panes still in the window, oldest first. */
  readonly #closed = new SlidingMerge<Summary>()
  #head = 0
  readonly #random: Random
  readonly #now: () => number
  readonly #scratchNumbers: Float64Array
  readonly #scratchCategories: Array<string | null>
  /** Time windows: the filling pane's index (undefined before the first row), latest time seen. */
  #latest: number | undefined
  #clock = Number.NEGATIVE_INFINITY
  #firstTime = Number.POSITIVE_INFINITY

  constructor(profile: ReferenceProfile, options: WindowOptions) {
    const { kind, size } = options
    const slide = options.slide ?? size
    const sampleSize = options.sampleSize ?? DEFAULT_WINDOW_SAMPLE
    if (kind !== 'count' && kind !== 'time') throw new RangeError(`unknown window kind '${kind}'`)
    for (const [name, value] of [
      ['size', size],
      ['slide', slide],
      ['sampleSize', sampleSize],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`${name} must be a positive integer, not ${value}`)
      }
    }
    if (size % slide !== 0) throw new RangeError(`slide ${slide} does not divide size ${size}`)
    if (size / slide > MAX_PANES) {
      throw new RangeError(`size / slide is ${size / slide} panes, more than ${MAX_PANES}`)
    }
    this.kind = kind
    this.size = size
    this.slide = slide
    this.sampleSize = sampleSize
    this.#now = options.now ?? Date.now
    this.#random = new Random(options.seed ?? 0)
    this.#layout = qualityLayout(profile)
    this.#scratchNumbers = new Float64Array(this.#layout.numerical.length)
    this.#scratchCategories = this.#layout.categorical.map(() => null)
    // A count pane sees exactly `slide` rows, so room for more would go unused; a time pane can
    // see any number, and the union draw may ask one pane for the whole window's sample.
    const paneSample = kind === 'count' ? Math.min(sampleSize, slide) : sampleSize
    this.#ring = Array.from(
      { length: size / slide },
      () => new Pane(this.#layout, paneSample, this.#random.uint32()),
    )
    this.#vectors = vectorLayout(profile)
    const paneVectors = vectorCapacity(this.#vectors, this.#ring.length, paneSample)
    // A count pane holding its whole slide can supply any draw, as for the row sample.
    this.#vectorSample = kind === 'count' && paneVectors >= slide ? sampleSize : paneVectors
    if (this.#vectors.names.length > 0) {
      for (const pane of this.#ring) {
        pane.vectors = new PaneVectors(
          this.#vectors,
          paneVectors,
          new Random(this.#random.uint32()),
        )
      }
    }
  }

  /**
   * Adds rows (flat column → value records), stamped with `ts` (ms since the epoch, one per row)
   * or else with now() (also for a time that is no date). Returns the windows this completed,
   * oldest first. Count windows complete every `slide` rows once `size` rows have arrived. Time
   * windows, aligned to multiples of `slide` since the epoch, complete when a pane boundary
   * passes: when a row's timestamp falls in a later pane or, with no `ts` given, when now() does
   * (so add([]) on a timer closes windows in a quiet stream); windows without rows are skipped. A
   * row whose pane has closed is dropped and counted in lateRows.
   */
  add(rows: ReadonlyArray<unknown>, ts?: ArrayLike<number>): WindowSnapshot[] {
    const completed: WindowSnapshot[] = []
    const stamp = ts === undefined ? this.#now() : Number.NaN
    for (let r = 0; r < rows.length; r++) {
      let time = ts === undefined ? stamp : (ts[r] as number)
      // Outside the range of dates a window's bounds couldn't be written, and no evaluation of
      // the model could ever be made again: such a row counts as arriving now.
      if (!(Math.abs(time) <= MAX_TIME)) time = this.#now()
      this.rowsSeen++
      if (this.kind === 'count') this.#addCounted(rows[r], time, completed)
      else this.#addTimed(rows[r], time, completed)
    }
    if (this.kind === 'time' && ts === undefined) {
      this.#clock = Math.max(this.#clock, stamp)
      const index = Math.floor(stamp / this.slide)
      if (this.#latest !== undefined && index > this.#latest) this.#advance(index, completed)
    }
    return completed
  }

  /** The window in progress, from the rows so far; undefined while it has none. */
  current(): WindowSnapshot | undefined {
    const panes = this.#windowPanes(true)
    if (panes.every((pane) => pane.rows === 0)) return undefined
    const filling = this.#ring[this.#head] as Pane
    const summary = this.#closed.query() ?? filling.summary.clone()
    if (this.#closed.size > 0) summary.merge(filling.summary)
    return this.#snapshot(summary, panes, this.kind === 'time' ? this.#latest : undefined)
  }

  /**
   * How much of the window in progress is there: rows held / size for count windows; for time
   * windows, the share of its span from its start (or the first row, if later) to the latest
   * time seen.
   */
  fill(): number {
    if (this.kind === 'count') {
      return this.#windowPanes(true).reduce((rows, pane) => rows + pane.rows, 0) / this.size
    }
    if (this.#latest === undefined) return 0
    const start = Math.max(this.#windowStart(this.#latest), this.#firstTime)
    return Math.min(1, Math.max(0, (this.#clock - start) / this.size))
  }

  footprint(): WindowFootprint {
    let sampleRows = 0
    let sketchItems = 0
    let categories = 0
    for (const pane of this.#ring) sampleRows += pane.slots.size
    for (const summary of [...this.#ring.map((pane) => pane.summary), ...this.#closed.held()]) {
      for (const sketch of summary.sketches) sketchItems += sketch.retained
      for (const counts of summary.counts) categories += counts.distinct
    }
    return { panes: this.#ring.length, sampleRows, sketchItems, categories }
  }

  #addCounted(row: unknown, time: number, completed: WindowSnapshot[]): void {
    const pane = this.#ring[this.#head] as Pane
    pane.add(row, time, this.#scratchNumbers, this.#scratchCategories)
    if (pane.rows === this.slide) this.#close(completed)
  }

  #addTimed(row: unknown, time: number, completed: WindowSnapshot[]): void {
    const index = Math.floor(time / this.slide)
    if (this.#latest === undefined) {
      this.#latest = index
      ;(this.#ring[this.#head] as Pane).reset(index)
    } else if (index > this.#latest) {
      this.#advance(index, completed)
    } else if (index < this.#latest) {
      this.lateRows++
      return
    }
    ;(this.#ring[this.#head] as Pane).add(row, time, this.#scratchNumbers, this.#scratchCategories)
    this.#clock = Math.max(this.#clock, time)
    this.#firstTime = Math.min(this.#firstTime, time)
  }

  /** Closes panes until `index` (> latest) is the filling one, completing the windows they end. */
  #advance(index: number, completed: WindowSnapshot[]): void {
    const gap = index - (this.#latest as number)
    const closes = Math.min(gap, this.#ring.length)
    for (let step = 0; step < closes; step++) this.#close(completed)
    // After P closes every later window is empty, however long the silence: jump ahead.
    if (gap > closes) {
      this.#closed.clear()
      for (const pane of this.#ring) pane.reset(index)
    }
    this.#latest = index
  }

  /**
   * Closes the filling pane: its summary joins the window's, the window completes if due (count
   * windows once P panes have closed, time windows whenever the window has rows), the oldest pane
   * leaves and is refilled next.
   */
  #close(completed: WindowSnapshot[]): void {
    const pane = this.#ring[this.#head] as Pane
    this.#closed.push(pane.summary)
    const panes = this.#windowPanes(false)
    const due =
      this.kind === 'count'
        ? this.#closed.size === this.#ring.length
        : panes.some((p) => p.rows > 0)
    if (due) {
      const summary = this.#closed.query() as Summary
      completed.push(this.#snapshot(summary, panes, this.kind === 'time' ? pane.index : undefined))
    }
    if (this.#closed.size === this.#ring.length) this.#closed.pop()
    this.#head = (this.#head + 1) % this.#ring.length
    ;(this.#ring[this.#head] as Pane).reset(pane.index + 1)
  }

  /** The window's panes, oldest first: the closed ones in it, and the filling one if asked. */
  #windowPanes(withFilling: boolean): Pane[] {
    const count = this.#ring.length
    const closed = this.#closed.size
    const panes: Pane[] = []
    for (let back = closed - (withFilling ? 0 : 1); back >= 0; back--) {
      panes.push(this.#ring[(this.#head - back + count) % count] as Pane)
    }
    return panes
  }

  #windowStart(lastPane: number): number {
    return (lastPane - this.#ring.length + 1) * this.slide
  }

  /** A window from its summary and panes; `lastPane` gives a time window's bounds. */
  #snapshot(summary: Summary, panes: Pane[], lastPane: number | undefined): WindowSnapshot {
    const layout = this.#layout
    const [start, end] =
      lastPane === undefined
        ? [
            panes.reduce((first, p) => Math.min(first, p.first), Number.POSITIVE_INFINITY),
            panes.reduce((last, p) => Math.max(last, p.last), Number.NEGATIVE_INFINITY),
          ]
        : [this.#windowStart(lastPane), (lastPane + 1) * this.slide]
    const startIso = new Date(start).toISOString()
    const endIso = new Date(end).toISOString()
    const info: WindowInfo = {
      id: `${startIso}:${endIso}`,
      kind: this.kind,
      start: startIso,
      end: endIso,
      rows: summary.quality.rows,
    }
    return {
      info,
      table: this.#sampleTable(panes),
      sketches: Object.fromEntries(
        layout.numerical.map((name, i) => [name, summary.sketches[i] as Kll]),
      ),
      counts: Object.fromEntries(
        layout.categorical.map((name, j) => [name, summary.counts[j]?.toMap() ?? new Map()]),
      ),
      quality: summary.quality.report(),
      ...(this.#vectors.names.length > 0 ? { vectors: this.#windowVectors(panes) } : {}),
    }
  }

  #windowVectors(panes: Pane[]) {
    const reservoirs = panes.map((pane) => pane.vectors as PaneVectors)
    const picks = unionSlots(
      reservoirs.map((vectors) => vectors.slots),
      this.#vectorSample,
      this.#random,
    )
    return windowVectors(this.#vectors, reservoirs, picks)
  }

  /** A uniform sample of the panes' rows, sampleSize at most, oldest pane first. */
  #sampleTable(panes: Pane[]): Table {
    const layout = this.#layout
    const picks = unionSlots(
      panes.map((pane) => pane.slots),
      this.sampleSize,
      this.#random,
    )
    const total = picks.reduce((sum, slots) => sum + slots.length, 0)
    return Object.fromEntries(
      layout.columns.map((name) => {
        const i = layout.index.get(name) as number
        return [name, gather(panes, picks, total, i - layout.numerical.length, i)]
      }),
    )
  }
}

/**
 * One column of the sample: numerical column `i` when `c` < 0, else categorical column `c`.
 * Plain loops into a preallocated array: pushing a null among doubles would box every number.
 */
function gather(panes: Pane[], picks: number[][], total: number, c: number, i: number): Value[] {
  const values = new Array<Value>(total)
  let k = 0
  for (let p = 0; p < panes.length; p++) {
    const pane = panes[p] as Pane
    const slots = picks[p] as number[]
    if (c < 0) {
      const numbers = pane.numbers[i] as Float64Array
      for (let s = 0; s < slots.length; s++) {
        const x = numbers[slots[s] as number] as number
        // Two stores, not `isNaN(x) ? null : x`, which would box every number on the way.
        if (Number.isNaN(x)) values[k++] = null
        else values[k++] = x
      }
    } else {
      const categories = pane.categories[c] as Array<string | null>
      for (let s = 0; s < slots.length; s++) values[k++] = categories[slots[s] as number] ?? null
    }
  }
  return values
}
