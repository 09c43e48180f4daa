/**
 * KLL quantile sketch (Karnin, Lang, Liberty 2016) laid out as Apache DataSketches'
 * KllDoublesSketch: one Float64Array holds every level, level 0 at the bottom filling downwards
 * into the free space, compaction only when that space runs out. Same capacities, compaction,
 * merge, sorted view, search criteria and error constants as DataSketches, so ranks and error
 * bounds read the same; the coin flips come from a seeded generator instead of java.util.Random.
 */
import { Random } from './random.ts'

/** DataSketches' minimum level width (m). */
const M = 8
const MAX_K = 65535
export const DEFAULT_K = 200
/** numLevels never exceeds 61 (2^61 items); one more boundary, one spare for compaction. */
const MAX_LEVELS = 64
// Best fits to the 99th percentile of measured error (DataSketches' KllHelper).
const PMF_COEF = 2.446
const PMF_EXP = 0.9433
const CDF_COEF = 2.296
const CDF_EXP = 0.9723
// Below this N, normalized ranks are rounded before scaling, as QuantilesUtil.getNaturalRank.
const TAIL_ROUNDING = 1e7

/** The serialised form: levels as sizes, items level by level (level 0 first). */
export interface KllJson {
  k: number
  min_k: number
  n: number
  /** Null when empty: JSON has no infinities. */
  min: number | null
  max: number | null
  levels: number[]
  items: number[]
  /** The generator's state, so a restored sketch compacts as the original would have. */
  random: number
}

/** Items in order with cumulative weights, min and max included (DataSketches' sorted view). */
export interface SortedView {
  quantiles: Float64Array
  cumWeights: Float64Array
}

/** DataSketches' normalized rank error for k: double-sided (PMF) or single-sided (rank, CDF). */
export function normalizedRankError(k: number, pmf = true): number {
  return pmf ? PMF_COEF / k ** PMF_EXP : CDF_COEF / k ** CDF_EXP
}

export class Kll {
  readonly k: number
  /** The smallest k among merged sketches that were estimating: it governs the error. */
  #minK: number
  /**
   * Room for levels[numLevels] items, and maybe more: a reset sketch keeps what it grew. None
   * until the first value (levels all 0), so a clone or a restored sketch allocates only once.
   */
  #items = NO_ITEMS
  /**
   * levels[h]..levels[h+1] are level h's items; levels[0] is also the free space below. A plain
   * array (small integers, on the JS heap): sketches come and go with windows, and every typed
   * array would be one more buffer for malloc.
   */
  readonly #levels: number[] = new Array<number>(MAX_LEVELS + 1).fill(0)
  #numLevels = 1
  #count = 0
  #lowest = Number.POSITIVE_INFINITY
  #highest = Number.NEGATIVE_INFINITY
  #level0Sorted = false
  #view: SortedView | undefined
  readonly #random: Random
  /** Nominal capacity by depth below the top level, computed once. */
  readonly #capacities: Int32Array

  constructor(k = DEFAULT_K, seed = 0) {
    if (!Number.isInteger(k) || k < M || k > MAX_K) {
      throw new RangeError(`k must be an integer in [${M}, ${MAX_K}], not ${k}`)
    }
    this.k = k
    this.#minK = k
    this.#random = new Random(seed)
    this.#capacities = levelCapacities(k)
  }

  get n(): number {
    return this.#count
  }

  /** NaN when empty. */
  get min(): number {
    return this.#count === 0 ? Number.NaN : this.#lowest
  }

  get max(): number {
    return this.#count === 0 ? Number.NaN : this.#highest
  }

  /** Items the sketch holds, each standing for 2^level values. */
  get retained(): number {
    return (this.#levels[this.#numLevels] as number) - (this.#levels[0] as number)
  }

  get isEstimating(): boolean {
    return this.#numLevels > 1
  }

  /** Adds one value. NaN and ±Infinity are ignored: in Infera they are missing values. */
  update(x: number): void {
    if (x - x !== 0) return
    if (x < this.#lowest) this.#lowest = x
    if (x > this.#highest) this.#highest = x
    this.#insert(x)
    this.#count++
  }

  /** The error bound for this sketch's effective k: double-sided by default, as for a PMF. */
  normalizedRankError(pmf = true): number {
    return normalizedRankError(this.#minK, pmf)
  }

  /** Folds `other` in, as KllDoublesSketch.merge; `other` is left as it was. */
  merge(sketch: Kll): void {
    if (sketch.#count === 0) return
    // Merging a sketch into itself would read the levels it is rewriting.
    const other = sketch === this ? sketch.clone() : sketch
    const finalN = this.#count + other.#count
    const otherLevels = other.#levels
    for (let i = otherLevels[0] as number; i < (otherLevels[1] as number); i++) {
      this.#insert(other.#items[i] as number)
    }
    if (other.#numLevels > 1) this.#mergeHigherLevels(other)
    this.#view = undefined
    this.#count = finalN
    if (other.isEstimating) this.#minK = Math.min(this.#minK, other.#minK)
    this.#lowest = Math.min(this.#lowest, other.#lowest)
    this.#highest = Math.max(this.#highest, other.#highest)
  }

  /** Empties the sketch, keeping its buffer (and generator) for the values to come. */
  reset(): void {
    const room = this.#items.length === 0 ? 0 : this.k
    this.#minK = this.k
    this.#levels[0] = room
    this.#levels[1] = room
    this.#numLevels = 1
    this.#count = 0
    this.#lowest = Number.POSITIVE_INFINITY
    this.#highest = Number.NEGATIVE_INFINITY
    this.#level0Sorted = false
    this.#view = undefined
  }

  /** An exact copy, generator state included. */
  clone(): Kll {
    const copy = new Kll(this.k)
    copy.copyFrom(this)
    return copy
  }

  /** Makes this sketch an exact copy of `other`, reusing its own buffer when that has room. */
  copyFrom(other: Kll): void {
    if (other.k !== this.k) {
      throw new RangeError(`cannot copy a sketch of k ${other.k} into k ${this.k}`)
    }
    const capacity = other.#levels[other.#numLevels] as number
    if (this.#items.length < capacity) this.#items = new Float64Array(capacity)
    this.#items.set(other.#items.subarray(0, capacity))
    for (let h = 0; h <= other.#numLevels; h++) this.#levels[h] = other.#levels[h] as number
    this.#minK = other.#minK
    this.#numLevels = other.#numLevels
    this.#count = other.#count
    this.#lowest = other.#lowest
    this.#highest = other.#highest
    this.#level0Sorted = other.#level0Sorted
    // The view is never mutated, only dropped on change, so both can hold it.
    this.#view = other.#view
    this.#random.state = other.#random.state
  }

  /**
   * The value at normalized rank `rank`: inclusive, the smallest item whose cumulative weight
   * reaches rank·n; exclusive, the smallest exceeding it.
   */
  quantile(rank: number, inclusive = true): number {
    if (!(rank >= 0 && rank <= 1)) throw new RangeError(`rank must lie in [0, 1], not ${rank}`)
    const { quantiles, cumWeights } = this.sortedView()
    let natural = rank * this.#count
    if (this.#count <= TAIL_ROUNDING) natural = Math.round(natural * TAIL_ROUNDING) / TAIL_ROUNDING
    const index = inclusive
      ? firstIndex(cumWeights, Math.ceil(natural), true)
      : firstIndex(cumWeights, Math.floor(natural), false)
    return quantiles[index === -1 ? quantiles.length - 1 : index] as number
  }

  /** Normalized rank of x: the share of values ≤ x (inclusive) or < x (exclusive). */
  rank(x: number, inclusive = true): number {
    if (Number.isNaN(x)) throw new RangeError('rank of NaN')
    const { quantiles, cumWeights } = this.sortedView()
    const index = lastIndex(quantiles, x, inclusive)
    return index === -1 ? 0 : (cumWeights[index] as number) / this.#count
  }

  /** Ranks at strictly increasing split points, then 1: the CDF as KllDoublesSketch.getCDF. */
  cdf(splitPoints: ArrayLike<number>, inclusive = true): number[] {
    for (let i = 0; i < splitPoints.length; i++) {
      const point = splitPoints[i] as number
      if (Number.isNaN(point) || (i > 0 && !((splitPoints[i - 1] as number) < point))) {
        throw new RangeError('split points must be unique, increasing and not NaN')
      }
    }
    const ranks = Array.from(splitPoints, (point) => this.rank(point, inclusive))
    ranks.push(1)
    return ranks
  }

  /**
   * Retained items sorted, with cumulative weights and the exact min and max spliced in at the
   * ends (DataSketches' IncludeMinMax), cached until the next update. Read-only.
   */
  sortedView(): SortedView {
    if (this.#view) return this.#view
    if (this.#count === 0) throw new RangeError('the sketch is empty')
    const levels = this.#levels
    const bottom = levels[0] as number
    if (!this.#level0Sorted) {
      sortRange(this.#items, bottom, levels[1] as number)
      this.#level0Sorted = true
    }
    const quantiles = this.#items.slice(bottom, levels[this.#numLevels])
    const weights = new Float64Array(quantiles.length)
    // Start offsets of the non-empty levels, each a sorted run, and one past the last.
    const runs: number[] = []
    for (let level = 0, weight = 1; level < this.#numLevels; level++, weight *= 2) {
      const from = (levels[level] as number) - bottom
      const to = (levels[level + 1] as number) - bottom
      if (from < to) {
        weights.fill(weight, from, to)
        runs.push(from)
      }
    }
    runs.push(quantiles.length)
    if (runs.length > 2) {
      mergeRuns(quantiles.slice(), weights.slice(), quantiles, weights, runs, 0, runs.length - 1)
    }
    for (let i = 1; i < weights.length; i++) {
      weights[i] = (weights[i] as number) + (weights[i - 1] as number)
    }
    this.#view = includeMinMax(quantiles, weights, this.#lowest, this.#highest)
    return this.#view
  }

  toJSON(): KllJson {
    const levels = this.#levels
    const empty = this.#count === 0
    return {
      k: this.k,
      min_k: this.#minK,
      n: this.#count,
      min: empty ? null : this.#lowest,
      max: empty ? null : this.#highest,
      levels: Array.from({ length: this.#numLevels }, (_, h) => {
        return (levels[h + 1] as number) - (levels[h] as number)
      }),
      items: Array.from(this.#items.subarray(levels[0], levels[this.#numLevels])),
      random: this.#random.state,
    }
  }

  /** A sketch from its JSON; throws RangeError for JSON no sketch could have written. */
  static fromJSON(json: KllJson): Kll {
    const sketch = new Kll(json.k)
    const { levels, items, n } = json
    const valid =
      Number.isInteger(json.min_k) &&
      json.min_k >= M &&
      json.min_k <= json.k &&
      Array.isArray(levels) &&
      levels.length >= 1 &&
      levels.length <= MAX_LEVELS - 2 &&
      levels.every((size) => Number.isInteger(size) && size >= 0) &&
      Array.isArray(items) &&
      items.every((x) => typeof x === 'number' && Number.isFinite(x)) &&
      levels.reduce((sum, size) => sum + size, 0) === items.length &&
      levels.reduce((sum, size, h) => sum + size * 2 ** h, 0) === n &&
      Number.isInteger(json.random) &&
      json.random >= 0 &&
      json.random < 2 ** 32
    if (!valid) throw new RangeError('not a KLL sketch: inconsistent levels, items or n')
    const capacity = totalCapacity(sketch.#capacities, levels.length)
    if (items.length > capacity) throw new RangeError('not a KLL sketch: more items than room')
    if (n > 0) {
      const { min, max } = json
      if (typeof min !== 'number' || typeof max !== 'number' || !(min <= max)) {
        throw new RangeError('not a KLL sketch: min and max must be numbers, min ≤ max')
      }
      sketch.#lowest = min
      sketch.#highest = max
    }
    sketch.#items = new Float64Array(capacity)
    sketch.#items.set(items, capacity - items.length)
    sketch.#numLevels = levels.length
    let boundary = capacity - items.length
    for (let h = 0; h < levels.length; h++) {
      sketch.#levels[h] = boundary
      boundary += levels[h] as number
    }
    sketch.#levels[levels.length] = boundary
    sketch.#count = n
    sketch.#minK = json.min_k
    sketch.#random.state = json.random
    return sketch
  }

  /** Stores x in level 0, compacting first when the items array is full (updateDouble). */
  #insert(x: number): void {
    if (this.#levels[0] === 0) this.#compress()
    const position = (this.#levels[0] as number) - 1
    this.#levels[0] = position
    this.#items[position] = x
    this.#level0Sorted = false
    this.#view = undefined
  }

  #capacity(level: number, numLevels: number): number {
    return this.#capacities[numLevels - level - 1] as number
  }

  /** Halves the lowest level at or over capacity into the one above (compressWhileUpdating). */
  #compress(): void {
    const levels = this.#levels
    if (this.#items.length === 0) {
      this.#items = new Float64Array(this.k)
      levels[0] = this.k
      levels[1] = this.k
      return
    }
    let level = 0
    while (
      (levels[level + 1] as number) - (levels[level] as number) <
      this.#capacity(level, this.#numLevels)
    ) {
      level++
    }
    if (level === this.#numLevels - 1) this.#addEmptyTopLevel()
    const items = this.#items
    const rawBeg = levels[level] as number
    const rawEnd = levels[level + 1] as number
    const popAbove = (levels[level + 2] as number) - rawEnd
    const odd = (rawEnd - rawBeg) & 1
    const adjBeg = rawBeg + odd
    const adjPop = rawEnd - adjBeg
    const half = adjPop >> 1
    if (level === 0) sortRange(items, adjBeg, rawEnd)
    if (popAbove === 0) {
      halveUp(items, adjBeg, adjPop, this.#random.uint32() & 1)
    } else {
      halveDown(items, adjBeg, adjPop, this.#random.uint32() & 1)
      mergeSorted(items, adjBeg, half, items, rawEnd, popAbove, items, adjBeg + half)
    }
    levels[level + 1] = rawEnd - half
    if (odd) {
      // The item left out of the pairing stays behind, alone on its level.
      levels[level] = rawEnd - half - 1
      items[levels[level] as number] = items[rawBeg] as number
    } else {
      levels[level] = rawEnd - half
    }
    // Shift the levels below up by the space freed, so it becomes free space under level 0; a
    // loop, as the run is mostly a few dozen items, too few to repay a native copyWithin call.
    const bottom = levels[0] as number
    for (let i = rawBeg - 1; i >= bottom; i--) items[i + half] = items[i] as number
    for (let h = 0; h < level; h++) levels[h] = (levels[h] as number) + half
  }

  /** Grows the full items array by a new bottom level's capacity (KllHelper's growth scheme). */
  #addEmptyTopLevel(): void {
    const levels = this.#levels
    const oldTotal = levels[this.#numLevels] as number
    const delta = this.#capacity(0, this.#numLevels + 1)
    if (this.#items.length >= oldTotal + delta) {
      this.#items.copyWithin(delta, 0, oldTotal)
    } else {
      const grown = new Float64Array(oldTotal + delta)
      grown.set(this.#items.subarray(0, oldTotal), delta)
      this.#items = grown
    }
    for (let h = 0; h <= this.#numLevels; h++) levels[h] = (levels[h] as number) + delta
    this.#numLevels++
    levels[this.#numLevels] = oldTotal + delta
  }

  /** The rest of KllDoublesHelper.mergeDoubleImpl: level 0 of `other` is already in. */
  #mergeHigherLevels(other: Kll): void {
    const mine = this.#levels
    const theirs = other.#levels
    const work = mergeBuffer(
      this.retained + (theirs[other.#numLevels] as number) - (theirs[1] as number),
    )
    const provisional = Math.max(this.#numLevels, other.#numLevels)
    const workLevels = new Array<number>(MAX_LEVELS + 2).fill(0)
    const outLevels = new Array<number>(MAX_LEVELS + 2).fill(0)
    // Level by level, both sketches' items merged in order (populateDoubleWorkArrays).
    const levelSize = (levels: number[], numLevels: number, h: number) =>
      h < numLevels ? (levels[h + 1] as number) - (levels[h] as number) : 0
    const ownZero = levelSize(mine, this.#numLevels, 0)
    work.set(this.#items.subarray(mine[0], mine[1]), 0)
    workLevels[1] = ownZero
    for (let h = 1; h < provisional; h++) {
      const own = levelSize(mine, this.#numLevels, h)
      const their = levelSize(theirs, other.#numLevels, h)
      const start = workLevels[h] as number
      workLevels[h + 1] = start + own + their
      mergeSorted(this.#items, mine[h] ?? 0, own, other.#items, theirs[h] ?? 0, their, work, start)
    }
    const [numLevels, target, population] = this.#compressAll(
      provisional,
      work,
      workLevels,
      outLevels,
    )
    const items = this.#items.length >= target ? this.#items : new Float64Array(target)
    const free = target - population
    items.set(work.subarray(outLevels[0], (outLevels[0] as number) + population), free)
    const shift = free - (outLevels[0] as number)
    for (let h = 0; h <= numLevels; h++) mine[h] = (outLevels[h] as number) + shift
    this.#items = items
    this.#numLevels = numLevels
  }

  /**
   * KllDoublesHelper.generalDoublesCompress: compacts levels, bottom up, while the sketch is over
   * its total capacity, adding levels as needed; `buffer` is both input and output.
   * Returns [numLevels, total capacity, items kept].
   */
  #compressAll(
    numLevelsIn: number,
    buffer: Float64Array,
    inLevels: number[],
    outLevels: number[],
  ): [number, number, number] {
    let numLevels = numLevelsIn
    let population = (inLevels[numLevels] as number) - (inLevels[0] as number)
    let target = totalCapacity(this.#capacities, numLevels)
    outLevels[0] = 0
    for (let level = 0; level < numLevels; level++) {
      if (level === numLevels - 1) inLevels[level + 2] = inLevels[level + 1] as number
      const rawBeg = inLevels[level] as number
      const rawEnd = inLevels[level + 1] as number
      const rawPop = rawEnd - rawBeg
      const out = outLevels[level] as number
      if (population < target || rawPop < this.#capacity(level, numLevels)) {
        buffer.copyWithin(out, rawBeg, rawEnd)
        outLevels[level + 1] = out + rawPop
        continue
      }
      const popAbove = (inLevels[level + 2] as number) - rawEnd
      const odd = rawPop & 1
      const adjBeg = rawBeg + odd
      const adjPop = rawPop - odd
      const half = adjPop >> 1
      if (odd) buffer[out] = buffer[rawBeg] as number
      outLevels[level + 1] = out + odd
      if (level === 0 && !this.#level0Sorted) sortRange(buffer, adjBeg, rawEnd)
      if (popAbove === 0) {
        halveUp(buffer, adjBeg, adjPop, this.#random.uint32() & 1)
      } else {
        halveDown(buffer, adjBeg, adjPop, this.#random.uint32() & 1)
        mergeSorted(buffer, adjBeg, half, buffer, rawEnd, popAbove, buffer, adjBeg + half)
      }
      population -= half
      inLevels[level + 1] = rawEnd - half
      if (level === numLevels - 1) {
        numLevels++
        target += this.#capacity(0, numLevels)
      }
    }
    return [numLevels, target, population]
  }
}

let mergeScratch = new Float64Array(1024)

/**
 * The work buffer for a merge, shared by all sketches (merges never interleave), so merging
 * allocates only when it needs more room than any merge before.
 */
function mergeBuffer(length: number): Float64Array {
  if (mergeScratch.length < length) mergeScratch = new Float64Array(length * 2)
  return mergeScratch
}

const NO_ITEMS = new Float64Array(0)

const capacitiesByK = new Map<number, Int32Array>()

/** Nominal level capacities by depth below the top, max(m, k·(2/3)^depth), shared per k. */
function levelCapacities(k: number): Int32Array {
  let capacities = capacitiesByK.get(k)
  if (capacities === undefined) {
    capacities = Int32Array.from({ length: MAX_LEVELS }, (_, depth) =>
      Math.max(M, capacityAtDepth(k, depth)),
    )
    capacitiesByK.set(k, capacities)
  }
  return capacities
}

/** k·(2/3)^depth rounded as KllHelper.intCapAux, in exact integer steps. */
function capacityAtDepth(k: number, depth: number): number {
  if (depth > 30) {
    const half = depth >> 1
    return capacityAtDepth(capacityAtDepth(k, half), depth - half)
  }
  const numerator = 2 * k * 2 ** depth
  const denominator = 3 ** depth
  let quotient = Math.floor(numerator / denominator)
  // The float quotient may be off by one next to an integer; settle it exactly.
  while (quotient * denominator > numerator) quotient--
  while ((quotient + 1) * denominator <= numerator) quotient++
  return (quotient + 1) >>> 1
}

function totalCapacity(capacities: Int32Array, numLevels: number): number {
  let total = 0
  for (let depth = 0; depth < numLevels; depth++) total += capacities[depth] as number
  return total
}

// Up to this many items, an insertion sort beats making a subarray view to sort natively.
const INSERTION_SORT_MAX = 32

/** Sorts items[from..to) ascending; level 0 is often small, and compacted every few updates. */
function sortRange(items: Float64Array, from: number, to: number): void {
  if (to - from > INSERTION_SORT_MAX) {
    items.subarray(from, to).sort()
    return
  }
  for (let i = from + 1; i < to; i++) {
    const x = items[i] as number
    let j = i - 1
    while (j >= from && (items[j] as number) > x) {
      items[j + 1] = items[j] as number
      j--
    }
    items[j + 1] = x
  }
}

/** Keeps every other item of an even-length sorted run, packed into its upper half. */
function halveUp(buffer: Float64Array, start: number, length: number, offset: number): void {
  const half = length >> 1
  let j = start + length - 1 - offset
  for (let i = start + length - 1; i >= start + half; i--, j -= 2) buffer[i] = buffer[j] as number
}

/** Keeps every other item of an even-length sorted run, packed into its lower half. */
function halveDown(buffer: Float64Array, start: number, length: number, offset: number): void {
  const half = length >> 1
  let j = start + offset
  for (let i = start; i < start + half; i++, j += 2) buffer[i] = buffer[j] as number
}

/** Merges two sorted runs into `out`; safe in place when `out` trails both runs' read positions. */
function mergeSorted(
  a: Float64Array,
  startA: number,
  lengthA: number,
  b: Float64Array,
  startB: number,
  lengthB: number,
  out: Float64Array,
  startOut: number,
): void {
  const endA = startA + lengthA
  const endB = startB + lengthB
  let i = startA
  let j = startB
  for (let o = startOut; o < startOut + lengthA + lengthB; o++) {
    if (i < endA && (j === endB || (a[i] as number) < (b[j] as number))) out[o] = a[i++] as number
    else out[o] = b[j++] as number
  }
}

/**
 * Merges the sorted runs runs[from]..runs[to] of (quantiles, weights) into dst, using src as
 * scratch, halving the run list as DataSketches' blockyTandemMergeSort does.
 */
function mergeRuns(
  srcQ: Float64Array,
  srcW: Float64Array,
  dstQ: Float64Array,
  dstW: Float64Array,
  runs: number[],
  from: number,
  to: number,
): void {
  const count = to - from
  if (count === 1) return
  const middle = from + (count >> 1)
  mergeRuns(dstQ, dstW, srcQ, srcW, runs, from, middle)
  mergeRuns(dstQ, dstW, srcQ, srcW, runs, middle, to)
  const endA = runs[middle] as number
  const endB = runs[to] as number
  let i = runs[from] as number
  let j = endA
  for (let o = i; o < endB; o++) {
    const takeA = i < endA && (j === endB || (srcQ[i] as number) < (srcQ[j] as number))
    const source = takeA ? i++ : j++
    dstQ[o] = srcQ[source] as number
    dstW[o] = srcW[source] as number
  }
}

/**
 * IncludeMinMax.includeDoublesMinMax: when compaction dropped the true min or max, they return at
 * the ends with weight 1, so quantile(0) and quantile(1) are exact.
 */
function includeMinMax(
  quantiles: Float64Array,
  cumWeights: Float64Array,
  min: number,
  max: number,
): SortedView {
  const length = quantiles.length
  const low = quantiles[0] !== min ? 1 : 0
  const high = quantiles[length - 1] !== max ? 1 : 0
  if (low + high === 0) return { quantiles, cumWeights }
  const q = new Float64Array(length + low + high)
  const w = new Float64Array(length + low + high)
  q.set(quantiles, low)
  w.set(cumWeights, low)
  const total = cumWeights[length - 1] as number
  if (low) {
    q[0] = min
    w[0] = 1
  }
  if (high) {
    q[q.length - 1] = max
    w[w.length - 1] = total
    w[w.length - 2] = total - 1
  }
  return { quantiles: q, cumWeights: w }
}

/** First index whose value is ≥ v (or > v), -1 if none: InequalitySearch GE / GT. */
function firstIndex(values: Float64Array, v: number, orEqual: boolean): number {
  let lo = 0
  let hi = values.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const value = values[mid] as number
    if (orEqual ? value >= v : value > v) hi = mid
    else lo = mid + 1
  }
  return lo === values.length ? -1 : lo
}

/** Last index whose value is ≤ v (or < v), -1 if none: InequalitySearch LE / LT. */
function lastIndex(values: Float64Array, v: number, orEqual: boolean): number {
  let lo = 0
  let hi = values.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const value = values[mid] as number
    if (orEqual ? value <= v : value < v) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}
