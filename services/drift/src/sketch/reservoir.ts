/**
 * Uniform sampling without replacement over a stream (Vitter's Algorithm R), split in two: the
 * slot decision, which callers with their own (columnar) storage use directly, and Reservoir,
 * which stores the items too.
 */
import { Random } from './random.ts'

/** Where each offered item goes: a slot below `capacity`, or nowhere. */
export class ReservoirSlots {
  /** Items offered so far. */
  seen = 0
  readonly #random: Random

  constructor(
    readonly capacity: number,
    random: Random,
  ) {
    this.#random = random
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, not ${capacity}`)
    }
  }

  /** Slots in use: min(seen, capacity). */
  get size(): number {
    return Math.min(this.seen, this.capacity)
  }

  /**
   * The slot the next item replaces, or -1 to drop it: the t-th item (from 0) is kept with
   * probability capacity / (t + 1), in a uniformly chosen slot.
   */
  next(): number {
    const t = this.seen++
    if (t < this.capacity) return t
    const slot = this.#random.below(t + 1)
    return slot < this.capacity ? slot : -1
  }

  reset(): void {
    this.seen = 0
  }
}

/**
 * Which slots to keep from each of several reservoirs so that, together, they are a uniform
 * sample of min(capacity, Σ seen) items of the union of their streams. How many come from each is
 * a multivariate hypergeometric draw over the streams' lengths (items drawn one at a time without
 * replacement); which ones, a uniform subset of that reservoir's slots. A reservoir must be able
 * to supply its draw: its capacity at least `capacity`, or it saw no more than it holds. Slots
 * come back in increasing order.
 */
export function unionSlots(
  sources: ReadonlyArray<ReservoirSlots>,
  capacity: number,
  random: Random,
): number[][] {
  const remaining = sources.map((source) => source.seen)
  let total = remaining.reduce((sum, seen) => sum + seen, 0)
  const draws = sources.map(() => 0)
  for (let left = Math.min(capacity, total); left > 0; left--, total--) {
    let u = random.below(total)
    let s = 0
    while (u >= (remaining[s] as number)) u -= remaining[s++] as number
    remaining[s] = (remaining[s] as number) - 1
    draws[s] = (draws[s] as number) + 1
  }
  return sources.map((source, s) => {
    let wanted = draws[s] as number
    const size = source.size
    if (wanted > size) {
      throw new RangeError(`a reservoir of ${source.capacity} cannot supply ${wanted} items`)
    }
    // Selection sampling (Knuth's Algorithm S): each slot in turn, kept with probability
    // wanted / slots left, gives a uniform subset already in order.
    const slots: number[] = []
    for (let slot = 0; wanted > 0; slot++) {
      if (random.below(size - slot) < wanted) {
        slots.push(slot)
        wanted--
      }
    }
    return slots
  })
}

/** A fixed-capacity uniform sample of the items offered, seeded so runs repeat. */
export class Reservoir<T> {
  readonly #slots: ReservoirSlots
  readonly #random: Random
  #items: T[] = []

  constructor(capacity: number, seed = 0) {
    this.#random = new Random(seed)
    this.#slots = new ReservoirSlots(capacity, this.#random)
  }

  get capacity(): number {
    return this.#slots.capacity
  }

  /** Items offered, to this reservoir or to those merged into it. */
  get seen(): number {
    return this.#slots.seen
  }

  /** The sample, in no particular order. */
  get sample(): readonly T[] {
    return this.#items
  }

  /** Offers one item; true when it was kept. */
  offer(item: T): boolean {
    const slot = this.#slots.next()
    if (slot < 0) return false
    this.#items[slot] = item
    return true
  }

  /**
   * Replaces this sample with a uniform sample of the union of both streams, each side weighted by
   * how many items it saw; later offers continue from the combined count. `other` is unchanged and
   * must have the same capacity.
   */
  merge(other: Reservoir<T>): void {
    if (other.capacity !== this.capacity) {
      throw new RangeError(
        `cannot merge a reservoir of ${other.capacity} into one of ${this.capacity}`,
      )
    }
    const [mine, theirs] = unionSlots([this.#slots, other.#slots], this.capacity, this.#random)
    const merged: T[] = []
    for (const slot of mine ?? []) merged.push(this.#items[slot] as T)
    for (const slot of theirs ?? []) merged.push(other.#items[slot] as T)
    this.#items = merged
    this.#slots.seen += other.seen
  }
}
