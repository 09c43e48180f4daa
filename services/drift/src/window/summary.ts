import { QualityCounter, type QualityLayout } from '../quality/index.ts'
import { CategoryCounts, DEFAULT_K, Kll, type Random } from '../sketch/index.ts'

/**
 * What a pane counts besides its row sample — a KLL sketch per numerical column, category counts
 * per categorical column, quality counts — in a form windows can merge and copy.
 */
export class Summary {
  private constructor(
    readonly sketches: Kll[],
    readonly counts: CategoryCounts[],
    readonly quality: QualityCounter,
  ) {}

  static empty(layout: QualityLayout, random: Random): Summary {
    return new Summary(
      layout.numerical.map(() => new Kll(DEFAULT_K, random.uint32())),
      layout.categorical.map(() => new CategoryCounts()),
      new QualityCounter(layout),
    )
  }

  merge(other: Summary): void {
    for (let i = 0; i < this.sketches.length; i++) {
      this.sketches[i]?.merge(other.sketches[i] as Kll)
    }
    for (let j = 0; j < this.counts.length; j++)
      this.counts[j]?.merge(other.counts[j] as CategoryCounts)
    this.quality.merge(other.quality)
  }

  /** Empties every part in place, keeping buffers. */
  reset(): void {
    for (const sketch of this.sketches) sketch.reset()
    for (const counts of this.counts) counts.reset()
    this.quality.reset()
  }

  clone(): Summary {
    const { layout } = this.quality
    // Counts and quality add up exactly, so merging into empty ones copies them.
    const copy = new Summary(
      this.sketches.map((sketch) => sketch.clone()),
      this.counts.map((counts) => {
        const copied = new CategoryCounts(counts.cap)
        copied.merge(counts)
        return copied
      }),
      new QualityCounter(layout),
    )
    copy.quality.merge(this.quality)
    return copy
  }
}
