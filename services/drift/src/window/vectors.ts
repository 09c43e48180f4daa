/**
 * The vector columns' share of a window: each pane keeps a reservoir of its rows' vectors in
 * buffers allocated once, and a window's vectors are a uniform union of its panes' reservoirs, as
 * its row sample is. Their own reservoir, since a vector is up to 4,096 values: the row sample's
 * thousands of slots would hold gigabytes of them.
 */
import type { Matrix } from '../embeddings/index.ts'
import type { ReferenceProfile } from '../profile/index.ts'
import { type Random, ReservoirSlots } from '../sketch/index.ts'

/** Values each vector column may hold across a window's panes: 32 MiB of doubles. */
export const WINDOW_VECTOR_VALUES = 2 ** 22

export interface VectorLayout {
  readonly names: readonly string[]
  readonly dims: readonly number[]
}

export const vectorLayout = (profile: ReferenceProfile): VectorLayout => {
  const entries = Object.entries(profile.embeddings ?? {})
  return { names: entries.map(([name]) => name), dims: entries.map(([, e]) => e.dim) }
}

/**
 * Vectors a pane (and so a window) keeps: every pane can supply a whole window's draw, so P panes
 * share the budget; at least 2 (the fewest a test takes), at most `most`.
 */
export function vectorCapacity(layout: VectorLayout, panes: number, most: number): number {
  const widest = Math.max(1, ...layout.dims)
  return Math.max(2, Math.min(most, Math.floor(WINDOW_VECTOR_VALUES / (panes * widest))))
}

export class PaneVectors {
  readonly slots: ReservoirSlots
  /** By column: `capacity` vectors back to back; `present` says which slots hold one. */
  readonly #data: Float64Array[]
  readonly #present: Uint8Array[]

  constructor(
    readonly layout: VectorLayout,
    capacity: number,
    random: Random,
  ) {
    this.slots = new ReservoirSlots(capacity, random)
    this.#data = layout.dims.map((dim) => new Float64Array(capacity * dim))
    this.#present = layout.names.map(() => new Uint8Array(capacity))
  }

  /** Offers a row; a cell that isn't an array of the column's length of finite numbers is missing. */
  add(row: unknown): void {
    const slot = this.slots.next()
    if (slot < 0) return
    const record = typeof row === 'object' && row !== null ? (row as Record<string, unknown>) : {}
    this.layout.names.forEach((name, c) => {
      const dim = this.layout.dims[c] as number
      const cell = Object.hasOwn(record, name) ? record[name] : undefined
      const present = this.#present[c] as Uint8Array
      present[slot] = 0
      if (!Array.isArray(cell) || cell.length !== dim) return
      const data = this.#data[c] as Float64Array
      for (let j = 0; j < dim; j++) {
        const x = cell[j]
        if (typeof x !== 'number' || !Number.isFinite(x)) return
        data[slot * dim + j] = x
      }
      present[slot] = 1
    })
  }

  reset(): void {
    this.slots.reset()
  }

  /** Copies column c's vectors in `slots` into `into` from row `at`; returns the next row. */
  gather(c: number, slots: readonly number[], into: Float64Array, at: number): number {
    const dim = this.layout.dims[c] as number
    const data = this.#data[c] as Float64Array
    const present = this.#present[c] as Uint8Array
    let row = at
    for (const slot of slots) {
      if (present[slot] !== 1) continue
      into.set(data.subarray(slot * dim, (slot + 1) * dim), row * dim)
      row++
    }
    return row
  }
}

/** The window's vectors by column, from the panes' picked slots (unionSlots over their slots). */
export function windowVectors(
  layout: VectorLayout,
  panes: readonly PaneVectors[],
  picks: readonly number[][],
): Record<string, Matrix> {
  return Object.fromEntries(
    layout.names.map((name, c) => {
      const dim = layout.dims[c] as number
      const data = new Float64Array(picks.reduce((sum, slots) => sum + slots.length, 0) * dim)
      let rows = 0
      panes.forEach((pane, p) => {
        rows = pane.gather(c, picks[p] as number[], data, rows)
      })
      return [name, { rows, dim, data: data.subarray(0, rows * dim) }]
    }),
  )
}
