const BUCKETS = 1 << 16

/**
 * Sorts doubles in place by an LSD radix sort on their IEEE 754 bits, mapped so that unsigned
 * order is numeric order (negatives flipped whole, positives with the sign bit set): four passes
 * of 16-bit digits, skipping a digit every value shares. NaN sorts last.
 */
export function radixSortFloat64(values: Float64Array): Float64Array {
  const n = values.length
  if (n < 4096) return values.sort()
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2)
  let lo = new Uint32Array(n)
  let hi = new Uint32Array(n)
  const counts = new Uint32Array(4 * BUCKETS)
  for (let i = 0; i < n; i++) {
    const l = words[2 * i] as number
    const h = words[2 * i + 1] as number
    const flip = h >> 31
    const kl = (l ^ flip) >>> 0
    const kh = (h ^ (flip | 0x80000000)) >>> 0
    lo[i] = kl
    hi[i] = kh
    increment(counts, kl & 0xffff)
    increment(counts, BUCKETS + (kl >>> 16))
    increment(counts, 2 * BUCKETS + (kh & 0xffff))
    increment(counts, 3 * BUCKETS + (kh >>> 16))
  }
  let lo2 = new Uint32Array(n)
  let hi2 = new Uint32Array(n)
  for (let d = 0; d < 4; d++) {
    const base = d * BUCKETS
    if (!prefixSums(counts, base, n)) continue
    const word = d < 2 ? lo : hi
    const shift = d % 2 === 0 ? 0 : 16
    for (let i = 0; i < n; i++) {
      const slot = (counts[base + (((word[i] as number) >>> shift) & 0xffff)] as number)++
      lo2[slot] = lo[i] as number
      hi2[slot] = hi[i] as number
    }
    ;[lo, lo2] = [lo2, lo]
    ;[hi, hi2] = [hi2, hi]
  }
  for (let i = 0; i < n; i++) {
    const kh = hi[i] as number
    const flip = ~kh >> 31
    words[2 * i] = (lo[i] as number) ^ flip
    words[2 * i + 1] = kh ^ (flip | 0x80000000)
  }
  return values
}

const increment = (counts: Uint32Array, i: number) => {
  counts[i] = (counts[i] as number) + 1
}

/** Turns one digit's counts into start offsets; false when every value has the same digit. */
function prefixSums(counts: Uint32Array, base: number, n: number): boolean {
  let sum = 0
  for (let b = base; b < base + BUCKETS; b++) {
    const c = counts[b] as number
    if (c === n) return false
    counts[b] = sum
    sum += c
  }
  return true
}
