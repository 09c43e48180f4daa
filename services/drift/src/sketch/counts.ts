/**
 * Category counts with bounded memory: exact for the first `cap` distinct values; any value first
 * seen after that is counted under OVERFLOW_CATEGORY instead of its own key (values already
 * counted keep counting exactly). Which values get their own key depends on arrival order.
 */

/** The key under which values beyond the cap are counted. */
export const OVERFLOW_CATEGORY = '__overflow__'
export const DEFAULT_CATEGORY_CAP = 1000

export class BoundedCounts {
  /** Values counted, own keys and overflow together. */
  total = 0
  /** Values counted under OVERFLOW_CATEGORY. */
  overflow = 0
  readonly #counts = new Map<string, number>()

  constructor(readonly cap = DEFAULT_CATEGORY_CAP) {
    if (!Number.isInteger(cap) || cap < 0) {
      throw new RangeError(`cap must be a non-negative integer, not ${cap}`)
    }
  }

  /** Distinct values with their own key. */
  get distinct(): number {
    return this.#counts.size
  }

  add(value: string, count = 1): void {
    this.total += count
    const current = this.#counts.get(value)
    if (current !== undefined) this.#counts.set(value, current + count)
    else if (this.#counts.size < this.cap) this.#counts.set(value, count)
    else this.overflow += count
  }

  /** Adds `other`'s counts, under the same cap: its keys past the cap overflow here too. */
  merge(other: BoundedCounts): void {
    for (const [value, count] of other.#counts) this.add(value, count)
    this.total += other.overflow
    this.overflow += other.overflow
  }

  /** Makes these counts a copy of `other`'s (exact when the caps are the same). */
  copyFrom(other: BoundedCounts): void {
    this.reset()
    this.merge(other)
  }

  reset(): void {
    this.#counts.clear()
    this.total = 0
    this.overflow = 0
  }

  /** Counts by value, in first-seen order, with OVERFLOW_CATEGORY last when anything overflowed. */
  toMap(): Map<string, number> {
    const map = new Map(this.#counts)
    if (this.overflow > 0)
      map.set(OVERFLOW_CATEGORY, (map.get(OVERFLOW_CATEGORY) ?? 0) + this.overflow)
    return map
  }
}
