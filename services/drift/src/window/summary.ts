import { QualityCounter, type QualityLayout } from '../quality/index.ts'
import { BoundedCounts, DEFAULT_K, Kll, type Random } from '../sketch/index.ts'

/**
 * What a pane counts besides its row sample — a KLL sketch per numerical column, category counts
 * per categorical column, quality counts — in a form windows can merge and copy.
 */
export class Summary {
  private constructor(
    readonly sketches: Kll[],
    readonly counts: BoundedCounts[],
    readonly quality: QualityCounter,
  ) {}

  static empty(layout: QualityLayout, random: Random): Summary {
    return new Summary(
      layout.numerical.map(() => new Kll(DEFAULT_K, random.uint32())),
      layout.categorical.map(() => new BoundedCounts()),
      new QualityCounter(layout),
    )
  }

  merge(other: Summary): void {
    this.#combine(other, 'merge')
  }

  /** Makes this an exact copy of `other`, reusing its buffers. */
  copyFrom(other: Summary): void {
    this.#combine(other, 'copyFrom')
  }

  clone(): Summary {
    const copy = new Summary(
      this.sketches.map((sketch) => new Kll(sketch.k)),
      this.counts.map((counts) => new BoundedCounts(counts.cap)),
      new QualityCounter(this.quality.layout),
    )
    copy.copyFrom(this)
    return copy
  }

  /** Empties every part in place, keeping buffers. */
  reset(): void {
    for (const sketch of this.sketches) sketch.reset()
    for (const counts of this.counts) counts.reset()
    this.quality.reset()
  }

  /** Applies `how` part by part: each sketch, each category count, the quality counts. */
  #combine(other: Summary, how: 'merge' | 'copyFrom'): void {
    this.sketches.forEach((sketch, i) => {
      sketch[how](other.sketches[i] as Kll)
    })
    this.counts.forEach((counts, j) => {
      counts[how](other.counts[j] as BoundedCounts)
    })
    this.quality[how](other.quality)
  }
}
