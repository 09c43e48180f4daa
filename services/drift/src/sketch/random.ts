/**
 * Seeded 32-bit generator (splitmix32: a Weyl sequence through murmur3's finaliser). Small state,
 * so sketches can carry it through serialisation and replay the same coin flips after a restore.
 */
export class Random {
  // In a typed array: a plain field holding a uint32 past 2^30 would be a boxed double.
  readonly #word = new Uint32Array(1)

  constructor(seed = 0) {
    this.#word[0] = seed >>> 0
  }

  /** The whole state: restoring it resumes the same sequence. */
  get state(): number {
    return this.#word[0] as number
  }

  set state(state: number) {
    this.#word[0] = state >>> 0
  }

  uint32(): number {
    const state = ((this.#word[0] as number) + 0x9e3779b9) >>> 0
    this.#word[0] = state
    let z = Math.imul(state ^ (state >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }

  /** Uniform in [0, 1) with 53 random bits, so `below` stays unbiased for any safe integer. */
  uniform(): number {
    return ((this.uint32() >>> 5) * 67108864 + (this.uint32() >>> 6)) / 9007199254740992
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n)
  }
}
