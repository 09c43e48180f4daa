interface Mergeable<T> {
  merge(other: T): void
  clone(): T
  copyFrom(other: T): void
}

/**
 * The merge of a FIFO of items, kept with O(1) merges per push, pop and query amortised rather
 * than one merge per item per query (the "two stacks" sliding-window aggregation): items pushed
 * since the last flip are folded into one running merge; at a flip they become suffix merges, so
 * popping the oldest costs nothing. Merges that fall out of use are recycled by the next flip
 * (copyFrom), so a long stream reuses the same buffers. Pushed items are read, never changed,
 * and must stay unchanged until popped.
 */
export class SlidingMerge<T extends Mergeable<T>> {
  /** front[i]: the merge of the flipped items from i to the last flipped one. */
  #front: T[] = []
  #frontStart = 0
  #back: T | undefined
  #backItems: T[] = []
  #spare: T[] = []

  get size(): number {
    return this.#front.length - this.#frontStart + this.#backItems.length
  }

  push(item: T): void {
    this.#backItems.push(item)
    if (this.#back === undefined) this.#back = this.#copy(item)
    else this.#back.merge(item)
  }

  /** Drops the oldest item. */
  pop(): void {
    if (this.#frontStart === this.#front.length) this.#flip()
    this.#frontStart++
  }

  /** A fresh merge of every item, or undefined when there are none. */
  query(): T | undefined {
    const oldest = this.#front[this.#frontStart]
    const merged = (oldest ?? this.#back)?.clone()
    if (oldest !== undefined && this.#back !== undefined) merged?.merge(this.#back)
    return merged
  }

  /** Every merge held, in use or spare (for memory accounting). */
  held(): T[] {
    return [...this.#front, ...this.#spare, ...(this.#back === undefined ? [] : [this.#back])]
  }

  clear(): void {
    this.#front = []
    this.#frontStart = 0
    this.#back = undefined
    this.#backItems = []
    this.#spare = []
  }

  #flip(): void {
    const items = this.#backItems
    this.#spare.push(...this.#front)
    if (this.#back !== undefined) this.#spare.push(this.#back)
    const front: T[] = new Array(items.length)
    for (let i = items.length - 1; i >= 0; i--) {
      const suffix = this.#copy(items[i] as T)
      if (i + 1 < items.length) suffix.merge(front[i + 1] as T)
      front[i] = suffix
    }
    this.#front = front
    this.#frontStart = 0
    this.#back = undefined
    this.#backItems = []
  }

  /** A copy of `item` in a spare merge if there is one. */
  #copy(item: T): T {
    const spare = this.#spare.pop()
    if (spare === undefined) return item.clone()
    spare.copyFrom(item)
    return spare
  }
}
