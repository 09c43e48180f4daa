/**
 * The two numpy draws Evidently's embedding bootstraps make beyond a permutation, on numpy's legacy
 * generator (../stats/mt19937, `np.random.seed(i)`): the same seeds give the same resamples.
 */
import { RandomState } from '../stats/mt19937/index.ts'

export { RandomState }

/** `np.random.rand()`: 53 bits from two 32-bit words, as numpy's legacy random_sample. */
export function uniform(random: RandomState): number {
  const a = random.nextUint32() >>> 5
  const b = random.nextUint32() >>> 6
  return (a * 67108864 + b) / 9007199254740992
}

/** `np.random.choice(n, size)`, with replacement: `randint(0, n, size)`, masked draws as numpy's. */
export function choice(random: RandomState, n: number, size: number): Uint32Array {
  const out = new Uint32Array(size)
  for (let i = 0; i < size; i++) out[i] = random.interval(n - 1)
  return out
}
