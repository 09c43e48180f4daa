/** A seeded PRNG (mulberry32), so that a build with the same seed gives the same model. */
export function createRandom(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  return {
    /** Uniform in [0, 1). */
    next,
    /** Standard normal, by Box–Muller (1 - next() keeps the logarithm finite). */
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    /** Fisher–Yates, in place. */
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        ;[items[i], items[j]] = [items[j] as T, items[i] as T]
      }
      return items
    },
  }
}

/** A seeded random split: `fraction` of the rows are held out. */
export function holdoutSplit<T>(rows: readonly T[], fraction: number, seed: number) {
  const shuffled = createRandom(seed).shuffle([...rows])
  const holdout = Math.round(rows.length * fraction)
  return { train: shuffled.slice(holdout), holdout: shuffled.slice(0, holdout) }
}
