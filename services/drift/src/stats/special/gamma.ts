/** log Γ and the pieces of Stirling's series that the incomplete gamma and beta functions share. */

// Lanczos approximation, g = 7, n = 9 (relative error below 1e-15 for x > 0).
const LANCZOS_G = 7
const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
]
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI)

/** log Γ(x) for x > 0 (scipy.special.gammaln). */
export function lnGamma(x: number): number {
  const z = x - 1
  const t = z + LANCZOS_G + 0.5
  let sum = LANCZOS[0] as number
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i)
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

// Stirling's series coefficients B_2j / (2j (2j - 1)) for j = 8 … 1, highest power first.
const STIRLING = [
  -3617 / 122400,
  1 / 156,
  -691 / 360360,
  1 / 1188,
  -1 / 1680,
  1 / 1260,
  -1 / 360,
  1 / 12,
]

/** lnΓ(x) - [(x - ½) ln x - x + ½ ln 2π]: the tail of Stirling's series, accurate for x ≥ 10. */
export function stirlingCorrection(x: number): number {
  const u = 1 / (x * x)
  let poly = 0
  for (const c of STIRLING) poly = poly * u + c
  return poly / x
}

/** ln(1 + t) - t without the cancellation of the direct form near 0. */
export function log1pmx(t: number): number {
  if (Math.abs(t) > 0.1) return Math.log1p(t) - t
  let power = t
  let sum = 0
  for (let k = 2; k < 40; k++) {
    power *= -t
    const term = power / k
    sum += term
    if (Math.abs(term) < Math.abs(sum) * Number.EPSILON) break
  }
  return sum
}
