import { lnGamma, log1pmx, stirlingCorrection } from './gamma.ts'

// Stirling's series (stirlingCorrection) holds from here on.
const STIRLING_FROM = 10
const TINY = 1e-300
const MAX_ITERATIONS = 100_000

/**
 * ln(x^a y^b / B(a, b)) with y = 1 - x. Large shapes make each logarithm huge and the sum small,
 * so the Stirling parts are paired before they are added (as DiDonato and Morris do).
 */
function logPowerTerms(a: number, b: number, x: number, y: number): number {
  const c = a + b
  if (a >= STIRLING_FROM && b >= STIRLING_FROM) {
    // a ln(x / x0) + b ln(y / y0) about the mode x0 = a / c, whose linear parts cancel.
    const corrections = stirlingCorrection(a) + stirlingCorrection(b) - stirlingCorrection(c)
    return (
      a * logRatioMinusLinear(x, c / a) +
      b * logRatioMinusLinear(y, c / b) +
      0.5 * Math.log((a * b) / (2 * Math.PI * c)) -
      corrections
    )
  }
  const lnX = x <= 0.5 ? Math.log(x) : Math.log1p(-y)
  const lnY = y <= 0.5 ? Math.log(y) : Math.log1p(-x)
  const big = Math.max(a, b)
  const small = Math.min(a, b)
  if (big < STIRLING_FROM) return a * lnX + b * lnY - (lnGamma(a) + lnGamma(b) - lnGamma(c))
  // ln Γ(big) − ln Γ(big + small) by Stirling, without forming either.
  const ratio =
    -small * Math.log(big) -
    (c - 0.5) * Math.log1p(small / big) +
    small +
    stirlingCorrection(big) -
    stirlingCorrection(c)
  return a * lnX + b * lnY - lnGamma(small) - ratio
}

/** ln(1 + u) − u for u = x·scale − 1; far from 0, from ln x itself rather than 1 + u. */
function logRatioMinusLinear(x: number, scale: number): number {
  const u = x * scale - 1
  return Math.abs(u) < 0.5 ? log1pmx(u) : Math.log(x) + Math.log(scale) - u
}

/** The continued fraction for I_x(a, b) (modified Lentz), fast below x = (a + 1) / (a + b + 2). */
function continuedFraction(a: number, b: number, x: number): number {
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < TINY) d = TINY
  d = 1 / d
  let h = d
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < Number.EPSILON) break
  }
  return h
}

/**
 * Regularised incomplete beta I_x(a, b) (scipy.special.betainc). `y` is 1 − x, for a caller that
 * knows it more precisely than the subtraction would give it (x near 1).
 */
export function betaInc(a: number, b: number, x: number, y = 1 - x): number {
  if (!(a > 0 && b > 0 && x >= 0 && x <= 1)) return Number.NaN
  if (x === 0) return 0
  if (y === 0) return 1
  if (x > (a + 1) / (a + b + 2)) return 1 - betaInc(b, a, y, x)
  // With x near 1 the fraction's steps 1 + aa·d cancel to about y and lose its digits; when the
  // complement is short to sum and leaves this side not small, take it instead.
  if (x > 0.5 && y * (a + b) < MAX_SERIES_SCALE) {
    const complement = hypergeometricSeries(b, a, y, x)
    if (complement <= MAX_COMPLEMENT) return 1 - complement
  }
  return (Math.exp(logPowerTerms(a, b, x, y)) * continuedFraction(a, b, x)) / a
}

// The series below runs for about x·(a + b) terms.
const MAX_SERIES_SCALE = 50
// 1 − complement keeps 12 digits while the complement is at most this.
const MAX_COMPLEMENT = 0.999

/** I_x(a, b) = x^a y^b / (a B(a, b)) · ₂F₁(a + b, 1; a + 1; x): a series of positive terms. */
function hypergeometricSeries(a: number, b: number, x: number, y: number): number {
  let term = 1
  let sum = 1
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    const ratio = (x * (a + b + n)) / (a + 1 + n)
    term *= ratio
    sum += term
    if (ratio < 1 && term < sum * Number.EPSILON) break
  }
  return (Math.exp(logPowerTerms(a, b, x, y)) * sum) / a
}

/**
 * Survival function of Student's t with `df` degrees of freedom, P(T > t) (scipy.stats.t.sf,
 * scipy.special.stdtr(df, -t)), from P(|T| > |t|) = I_{df/(df+t²)}(df/2, ½).
 */
export function studentTSf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN
  if (t === 0) return 0.5
  if (!Number.isFinite(t)) return t > 0 ? 0 : 1
  const t2 = t * t
  const both = betaInc(df / 2, 0.5, df / (df + t2), t2 / (df + t2))
  return t > 0 ? both / 2 : 1 - both / 2
}
