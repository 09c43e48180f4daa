/**
 * numpy's legacy global generator (numpy.random.seed / RandomState): MT19937 seeded as numpy
 * seeds it, and its shuffle. Evidently's permutation tests draw from it, so a seeded run here
 * permutes exactly as `np.random.seed(s)` followed by the same calls does in numpy.
 */

const STATE = 624
const SHIFT = 397
const MATRIX_A = 0x9908b0df
const UPPER = 0x80000000
const LOWER = 0x7fffffff

export class RandomState {
  // Int32Array rather than Uint32Array: V8 keeps int32 words unboxed, which doubles the speed.
  #key = new Int32Array(STATE)
  // Each twist's 624 outputs, tempered at once: drawing is then one read.
  #words = new Int32Array(STATE)
  #position = STATE

  /** np.random.seed(seed) for an integer seed in [0, 2³²). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in [0, 2^32), not ${seed}`)
    }
    const key = this.#key
    key[0] = seed
    for (let i = 1; i < STATE; i++) {
      const previous = key[i - 1] as number
      key[i] = Math.imul(1812433253, previous ^ (previous >>> 30)) + i
    }
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    if (this.#position === STATE) this.#refill()
    return (this.#words[this.#position++] as number) >>> 0
  }

  /**
   * A uniform integer in [0, max] for max < 2³², by masking to the smallest covering power of two
   * and rejecting what lies above (numpy's legacy random_interval).
   */
  interval(max: number): number {
    if (max === 0) return 0
    const mask = 0xffffffff >>> Math.clz32(max)
    let value: number
    do value = (this.nextUint32() & mask) >>> 0
    while (value > max)
    return value
  }

  /**
   * The swap partners of np.random.shuffle on n items, drawn as numpy draws them: Fisher–Yates
   * from the last position down, position i swapping with partners[i] = interval(i) (partners[0]
   * is 0). Drawn apart from the swaps, in one loop with the generator's state in locals, because
   * Evidently's TVD test shuffles 1000 times over both samples and this is its whole cost.
   */
  swapPartners(partners: Uint32Array): void {
    // Masks then stay below 2³¹, so the masked words are non-negative int32s.
    if (partners.length > 2 ** 31) throw new RangeError('swapPartners: at most 2^31 items')
    const words = this.#words
    let position = this.#position
    for (let i = partners.length - 1; i > 0; i--) {
      const mask = 0xffffffff >>> Math.clz32(i)
      let j: number
      do {
        if (position === STATE) {
          this.#refill()
          position = 0
        }
        j = (words[position++] as number) & mask
      } while (j > i)
      partners[i] = j
    }
    if (partners.length > 0) partners[0] = 0
    this.#position = position
  }

  /**
   * np.random.permutation(n): 0 … n − 1 shuffled. np.random.choice(a, k, replace=False) is
   * a[permutation(len(a))[:k]].
   */
  permutation(n: number): Uint32Array {
    const order = new Uint32Array(n)
    this.swapPartners(order)
    const partners = order.slice()
    for (let i = 0; i < n; i++) order[i] = i
    for (let i = n - 1; i > 0; i--) {
      const j = partners[i] as number
      const swap = order[i] as number
      order[i] = order[j] as number
      order[j] = swap
    }
    return order
  }

  #refill(): void {
    twist(this.#key, this.#words)
    this.#position = 0
  }
}

/** MT19937's next state from `key`, and its 624 tempered outputs into `words`. */
function twist(key: Int32Array, words: Int32Array): void {
  let y = 0
  let i = 0
  for (; i < STATE - SHIFT; i++) {
    y = ((key[i] as number) & UPPER) | ((key[i + 1] as number) & LOWER)
    key[i] = (key[i + SHIFT] as number) ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A)
  }
  for (; i < STATE - 1; i++) {
    y = ((key[i] as number) & UPPER) | ((key[i + 1] as number) & LOWER)
    key[i] = (key[i + SHIFT - STATE] as number) ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A)
  }
  y = ((key[STATE - 1] as number) & UPPER) | ((key[0] as number) & LOWER)
  key[STATE - 1] = (key[SHIFT - 1] as number) ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A)
  for (let k = 0; k < STATE; k++) {
    y = key[k] as number
    y ^= y >>> 11
    y ^= (y << 7) & 0x9d2c5680
    y ^= (y << 15) & 0xefc60000
    y ^= y >>> 18
    words[k] = y
  }
}
