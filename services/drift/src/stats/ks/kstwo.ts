/**
 * Survival function of the two-sided one-sample Kolmogorov–Smirnov statistic D_n for finite n,
 * i.e. scipy.stats.kstwo.sf(d, n), which ks_2samp's asymptotic mode evaluates at n = round(n1·n2 /
 * (n1 + n2)). A port of scipy/stats/_ksstats.py: the same algorithm choice (Simard & L'Ecuyer 2011)
 * and the same exact/approximate methods, so p-values agree with scipy to rounding.
 */
import { stirlingCorrection } from '../special/index.ts'

const EP128 = 2 ** 128
const EM128 = 2 ** -128
const MIN_LOG = -708
const PI_SQUARED = Math.PI ** 2
const PI_FOUR = Math.PI ** 4
const PI_SIX = Math.PI ** 6
const SQRT_2PI = Math.sqrt(2 * Math.PI)
const SQRT3 = Math.sqrt(3)
const LOG_2PI = Math.log(2 * Math.PI)

const clip = (p: number) => Math.min(Math.max(p, 0), 1)

/** x · 2^e without overflowing 2^e on the way (intermediate results are rescaled by 2^±128). */
function ldexp(x: number, e: number): number {
  let result = x
  let rest = e
  while (rest > 960) {
    result *= 2 ** 960
    rest -= 960
  }
  while (rest < -960) {
    result *= 2 ** -960
    rest += 960
  }
  return result * 2 ** rest
}

/** P(D_n ≥ d): scipy's _kolmogn(n, d, cdf=False). */
export function kstwoSf(n: number, d: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(d)) return Number.NaN
  if (d >= 1) return 0
  if (d <= 0) return 1
  const t = n * d
  if (t <= 1) {
    // Ruben–Gambino: exact for 1/(2n) ≤ d ≤ 1/n.
    if (t <= 0.5) return 1
    let cdf: number
    if (n <= 140) {
      cdf = 1
      for (let i = 1; i <= n; i++) cdf *= i * (1 / n) * (2 * t - 1)
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1))
    }
    return clip(1 - cdf)
  }
  if (t >= n - 1) return clip(2 * (1 - d) ** n)
  if (d >= 0.5) return clip(2 * smirnovSf(n, d))
  const nxSquared = t * d
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip(1 - durbinCdf(n, d))
    if (nxSquared <= 4) return clip(1 - pomeranzCdf(n, d))
    return clip(2 * smirnovSf(n, d))
  }
  if (nxSquared >= 370) return 0
  if (nxSquared >= 2.2) return clip(2 * smirnovSf(n, d))
  const cdf = n <= 100_000 && n * d ** 1.5 <= 1.4 ? durbinCdf(n, d) : pelzGoodCdf(n, d)
  return clip(1 - cdf)
}

/** log(n! / n^n) by Stirling's series, with n·log n removed up front to avoid cancellation. */
function logFactorialOverPower(n: number): number {
  return Math.log(n) / 2 - n + LOG_2PI / 2 + stirlingCorrection(n)
}

/** P(D_n ≤ d) by Durbin's matrix algorithm in Marsaglia–Tsang–Wang form (_kolmogn_DMTW). */
function durbinCdf(n: number, d: number): number {
  const nd = n * d
  if (nd <= 0.5) return 0
  const k = Math.ceil(nd)
  const h = k - nd
  const m = 2 * k - 1
  const v = new Float64Array(m)
  const w = new Float64Array(m)
  let fac = 1
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac
    fac /= j
    v[j - 1] = (1 - h ** j) * fac
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m
  v[m - 1] = (1 + tt) * fac

  let H = new Float64Array(m * m)
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1] as number
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r] as number
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c] as number

  let power = new Float64Array(m * m)
  for (let i = 0; i < m; i++) power[i * m + i] = 1
  let exponent = 0
  let hExponent = 0
  const kk = (k - 1) * m + (k - 1)
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2 === 1) {
      power = matmul(power, H, m)
      exponent += hExponent
    }
    H = matmul(H, H, m)
    hExponent *= 2
    if (Math.abs(H[kk] as number) > EP128) {
      for (let i = 0; i < H.length; i++) H[i] = (H[i] as number) / EP128
      hExponent += 128
    }
  }
  let p = power[kk] as number
  // Multiply by n!/n^n, rescaling before it underflows.
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n
    if (Math.abs(p) < EM128) {
      p *= EP128
      exponent -= 128
    }
  }
  return clip(exponent === 0 ? p : ldexp(p, exponent))
}

function matmul(a: Float64Array, b: Float64Array, m: number) {
  const out = new Float64Array(m * m)
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const ail = a[i * m + l] as number
      if (ail === 0) continue
      for (let j = 0; j < m; j++)
        out[i * m + j] = (out[i * m + j] as number) + ail * (b[l * m + j] as number)
    }
  }
  return out
}

/** Bounds of the non-zero window of row i in Pomeranz's recursion. */
function pomeranzWindow(i: number, n: number, ll: number, ceilf: number, roundf: number) {
  let j1: number
  let j2: number
  if (i === 0) {
    j1 = -ll - ceilf - 1
    j2 = ll + ceilf - 1
  } else {
    const half = Math.floor((i + 1) / 2)
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1
        j2 = n + ll + ceilf - 1
      } else {
        j1 = half - 1 - ll - roundf - 1
        j2 = half + ll - 1 + ceilf - 1
      }
    } else {
      j1 = half - 1 - ll - 1
      j2 = half + ll + roundf - 1
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)] as const
}

/** P(D_n ≤ d) by Pomeranz's recursion (_kolmogn_Pomeranz). */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x
  const ll = Math.floor(t)
  const f = t - ll
  const g = Math.min(f, 1 - f)
  const ceilf = f > 0 ? 1 : 0
  const roundf = f > 0.5 ? 1 : 0
  const npwrs = 2 * (ll + 1)
  // (c/n)^m / m!: Poisson probabilities short of their normalising factor.
  const powers = (c: number) => {
    const out = new Float64Array(npwrs)
    out[0] = 1
    for (let m = 1; m < npwrs; m++) out[m] = ((out[m - 1] as number) * c) / n / m
    return out
  }
  const gPower = powers(g)
  const twoGPower = powers(2 * g)
  const oneMinusTwoGPower = powers(1 - 2 * g)

  let v0 = new Float64Array(npwrs)
  let v1 = new Float64Array(npwrs)
  v1[0] = 1
  let v0Start = 0
  let v1Start = 0
  let exponent = 0
  let [j1, j2] = pomeranzWindow(0, n, ll, ceilf, roundf)
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1
    ;[v0, v1] = [v1, v0]
    ;[v0Start, v1Start] = [v1Start, v0Start]
    v1.fill(0)
    ;[j1, j2] = pomeranzWindow(i, n, ll, ceilf, roundf)
    const pwrs = i === 1 || i === 2 * n + 1 ? gPower : i % 2 === 1 ? twoGPower : oneMinusTwoGPower
    const width = j2 - k1 + 1
    if (width > 0) {
      // Entries j1 - k1 … j2 - k1 of the convolution of v0[k1 - v0Start …][0, width) with pwrs[0, width).
      const offset = k1 - v0Start
      const from = j1 - k1
      const count = j2 - j1 + 1
      let max = 0
      for (let c = 0; c < count; c++) {
        const idx = from + c
        let sum = 0
        for (let a = Math.max(0, idx - width + 1); a <= Math.min(idx, width - 1); a++) {
          sum += (v0[offset + a] ?? 0) * (pwrs[idx - a] as number)
        }
        v1[c] = sum
        if (sum > max) max = sum
      }
      if (max > 0 && max < EM128) {
        for (let c = 0; c < count; c++) v1[c] = (v1[c] as number) * EP128
        exponent -= 128
      }
      v1Start = v0Start + j1 - k1
    }
  }
  let ans = v1[n - v1Start] as number
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128
      exponent += 128
    }
    ans *= m
  }
  return clip(exponent === 0 ? ans : ldexp(ans, exponent))
}

/** Pelz–Good asymptotic series for P(D_n ≤ x) (_kolmogn_PelzGood). */
function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x
  const z2 = z * z
  const z3 = z2 * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const qlog = -PI_SQUARED / 8 / z2
  if (qlog < MIN_LOG) return 0
  const q = Math.exp(qlog)

  const k1a = -z2
  const k1b = PI_SQUARED / 4
  const k2a = 6 * z6 + 2 * z4
  const k2b = ((2 * z4 - 5 * z2) * PI_SQUARED) / 4
  const k2c = (PI_FOUR * (1 - 2 * z2)) / 16
  const k3d = (PI_SIX * (5 - 30 * z2)) / 64
  const k3c = (PI_FOUR * (-60 * z2 + 212 * z4)) / 16
  const k3b = (PI_SQUARED * (135 * z4 - 96 * z6)) / 4
  const k3a = -30 * z6 - 90 * z ** 8

  // Horner scheme over odd integers for Σ c_i q^(i²).
  const K = [0, 0, 0, 0]
  const maxk = Math.ceil((16 * z) / Math.PI)
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1
    const m2 = m * m
    const m4 = m2 * m2
    const m6 = m4 * m2
    const qpower = q ** (8 * k)
    const coeffs = [
      1,
      k1a + k1b * m2,
      k2a + k2b * m2 + k2c * m4,
      k3a + k3b * m2 + k3c * m4 + k3d * m6,
    ]
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qpower + (coeffs[i] as number)
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10]
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * SQRT_2PI) / (divisors[i] as number)

  // The remaining terms run over all integers k.
  const q2 = Math.exp(-PI_SQUARED / 2 / z2)
  const sqrt3z = SQRT3 * z
  let k2extra = 0
  let k3extra = 0
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k
    const qk = q2 ** k2
    k2extra += k2 * qk
    const kpi = Math.PI * k
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk
  }
  K[2] = (K[2] as number) + (k2extra * PI_SQUARED * SQRT_2PI) / (-36 * z3)
  K[3] = (K[3] as number) + (k3extra * PI_SQUARED * SQRT_2PI) / (216 * z6)
  let sum = 0
  for (let i = 0; i < 4; i++) sum += (K[i] as number) / n ** (i / 2)
  return sum
}

// Above this n scipy switches to an approximation of the one-sided distribution.
const SMIRNOV_MAX_COMPUTE_N = 1_000_000
// log of the smallest subnormal double: below it the survival function underflows.
const MIN_EXP_LOG = -745.1332191019412

/**
 * One-sided P(D_n⁺ ≥ x) (scipy.special.smirnov) by the Birnbaum–Tingey sum
 *   Σ_{v=0}^{⌊n(1-x)⌋} C(n,v) x (x + v/n)^(v-1) (1 - x - v/n)^(n-v).
 * Its terms are all positive, so summing them in log space keeps the relative precision that the
 * cephes double-double code gets, and the same early stop applies.
 */
export function smirnovSf(n: number, x: number): number {
  if (n === 1) return 1 - x
  if (x <= 0) return 1
  if (x >= 1) return 0
  // Closed forms at both ends, checked before the large-n approximation as scipy does.
  if (n * x <= 1) return 1 - x * (1 + x) ** (n - 1)
  if (-2 * n * x * x < MIN_EXP_LOG) return 0
  if (n * x >= n - 1) return (1 - x) ** n
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp)
  }
  const terms = Math.floor(n * (1 - x)) + 1
  const logX = Math.log(x)
  // log C(n, v) grows to ~n; a plain running sum would round away ~1e-9 of each term by v ~ 1e5,
  // so it is accumulated with Neumaier compensation.
  let logBinomial = 0
  let compensation = 0
  let sum = 0
  for (let v = 0; v < terms; v++) {
    const u = x + v / n
    if (u >= 1) break
    const logTerm = logBinomial + ((v - 1) * Math.log(u) + (n - v) * Math.log1p(-u))
    const term = Math.exp(logTerm + compensation + logX)
    sum += term
    if (term === 0 ? v > n / 2 : 4 * (terms - v) * term < Number.EPSILON * sum) break
    const step = Math.log((n - v) / (v + 1))
    const next = logBinomial + step
    compensation +=
      Math.abs(logBinomial) >= Math.abs(step)
        ? logBinomial - next + step
        : step - next + logBinomial
    logBinomial = next
  }
  return sum
}
