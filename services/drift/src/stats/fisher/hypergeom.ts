/**
 * The hypergeometric distribution as scipy.stats.hypergeom(M = total, n = good, N = draws): the
 * probability of x good items among `draws` taken without replacement from `total` items, `good`
 * of them good. The pmf follows Loader's saddle-point form (R's dhyper), precise to ~1e-15
 * relative even for totals of millions, where differences of log-gammas would lose digits; tails
 * sum outward from their first term by the ratio of neighbours, as Boost (scipy's backend) does.
 */
import { stirlingCorrection } from '../special/index.ts'

// stirlerr(n) = ln n! − [(n + ½) ln n − n + ½ ln 2π], which is stirlingCorrection(n): the series
// holds from 10 up; below, stirlerr(n) = stirlerr(n + 1) + (n + ½) ln(1 + 1/n) − 1 steps down.
const SMALL = 10
const STIRLERR = new Float64Array(SMALL + 1)
STIRLERR[SMALL] = stirlingCorrection(SMALL)
for (let n = SMALL - 1; n >= 1; n--) {
  STIRLERR[n] = (STIRLERR[n + 1] as number) + (n + 0.5) * Math.log1p(1 / n) - 1
}

const stirlerr = (n: number) => (n <= SMALL ? (STIRLERR[n] as number) : stirlingCorrection(n))

/** x ln(x / np) + np − x, without its cancellation when x ≈ np (Loader's bd0). */
function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np)
    let s = (x - np) * v
    let ej = 2 * x * v
    v *= v
    for (let j = 1; j < 1000; j++) {
      ej *= v
      const next = s + ej / (2 * j + 1)
      if (next === s) return next
      s = next
    }
  }
  return x * Math.log(x / np) + np - x
}

/** ln of the binomial pmf of x successes in n trials at success rate p = 1 − q (R's dbinom_raw). */
function logBinomial(x: number, n: number, p: number, q: number): number {
  if (x === 0) {
    if (n === 0) return 0
    return p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q)
  }
  if (x === n) return q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p)
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q)
  return lc - 0.5 * (Math.log(2 * Math.PI) + Math.log(x) + Math.log1p(-x / n))
}

export interface Hypergeometric {
  total: number
  good: number
  draws: number
}

/** The smallest and largest possible number of good items drawn. */
export function support({ total, good, draws }: Hypergeometric): [number, number] {
  return [Math.max(0, draws - (total - good)), Math.min(draws, good)]
}

/** scipy.stats.hypergeom.pmf(x, total, good, draws); 0 outside the support. */
export function hypergeomPmf(x: number, h: Hypergeometric): number {
  const [low, high] = support(h)
  if (x < low || x > high) return 0
  const { total, good, draws } = h
  // Each binomial at the draw rate: their ratio is the hypergeometric pmf, every factor near 1.
  const p = draws / total
  const q = (total - draws) / total
  return Math.exp(
    logBinomial(x, good, p, q) +
      logBinomial(draws - x, total - good, p, q) -
      logBinomial(draws, total, p, q),
  )
}

/** The most likely number of good items drawn (the lower one when two tie). */
export const hypergeomMode = ({ total, good, draws }: Hypergeometric) =>
  Math.trunc(((draws + 1) * (good + 1)) / (total + 2))

/**
 * scipy.stats.hypergeom.cdf(x, …): P(X ≤ x). Below the mode the terms shrink going down, so they
 * are summed from x down while they still count; from the mode up it is 1 − P(X > x), as Boost
 * computes it.
 */
export function hypergeomCdf(x: number, h: Hypergeometric): number {
  if (x >= hypergeomMode(h)) return 1 - upperTail(x, h)
  return lowerTail(x, h)
}

/** scipy.stats.hypergeom.sf(x, …): P(X > x), the mirror of hypergeomCdf. */
export function hypergeomSf(x: number, h: Hypergeometric): number {
  if (x < hypergeomMode(h)) return 1 - lowerTail(x, h)
  return upperTail(x, h)
}

/** P(X ≤ x) for x below the mode: terms summed downwards by the ratio of neighbours. */
function lowerTail(x: number, h: Hypergeometric): number {
  const [low] = support(h)
  if (x < low) return 0
  const bad = h.total - h.good
  let k = x
  let term = hypergeomPmf(k, h)
  let sum = term
  while (k > low && term > sum * Number.EPSILON) {
    term *= (k * (bad - h.draws + k)) / ((h.good - k + 1) * (h.draws - k + 1))
    sum += term
    k--
  }
  return sum
}

/** P(X > x) for x at or above the mode: terms summed upwards by the ratio of neighbours. */
function upperTail(x: number, h: Hypergeometric): number {
  const [, high] = support(h)
  if (x >= high) return 0
  const bad = h.total - h.good
  let k = x + 1
  let term = hypergeomPmf(k, h)
  let sum = term
  while (k < high && term > sum * Number.EPSILON) {
    term *= ((h.good - k) * (h.draws - k)) / ((k + 1) * (bad - h.draws + k + 1))
    sum += term
    k++
  }
  return sum
}
