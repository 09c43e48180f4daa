interface Mergeable<T> {
  merge(other: T): void
  clone(): T
}

/**
 * The merge of a FIFO of items, kept with O(1) merges per push, pop and query amortised rather
 * than one merge per item per query (the "two stacks" sliding-window aggregation): items pushed
 * since the last flip are folded into one running merge; at a flip they become suffix merges, so
 * popping the oldest costs nothing. Pushed items are read, never changed, and must stay unchanged
 * until popped.
 */
export class SlidingMerge<T extends Mergeable<T>> {
  /** front[i]: the merge of the flipped items from i to the last flipped one. */
  private front: T[] = []
  private frontStart = 0
  private back: T | undefined
  private backItems: T[] = []

  get size(): number {
    return this.front.length - this.frontStart + this.backItems.length
  }

  push(item: T): void {
    this.backItems.push(item)
    if (this.back === undefined) this.back = item.clone()
    else this.back.merge(item)
  }

  /** Drops the oldest item. */
  pop(): void {
    if (this.frontStart === this.front.length) this.flip()
    this.frontStart++
  }

  /** A fresh merge of every item, or undefined when there are none. */
  query(): T | undefined {
    const oldest = this.front[this.frontStart]
    const merged = (oldest ?? this.back)?.clone()
    if (oldest !== undefined && this.back !== undefined) merged?.merge(this.back)
    return merged
  }

  clear(): void {
    this.front = []
    this.frontStart = 0
    this.back = undefined
    this.backItems = []
  }

  private flip(): void {
    const items = this.backItems
    const front: T[] = new Array(items.length)
    for (let i = items.length - 1; i >= 0; i--) {
      const suffix = (items[i] as T).clone()
      if (i + 1 < items.length) suffix.merge(front[i + 1] as T)
      front[i] = suffix
    }
    this.front = front
    this.frontStart = 0
    this.back = undefined
    this.backItems = []
  }
}
