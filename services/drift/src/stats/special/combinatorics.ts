/** C(n, k) in floating point; exact while the result is below 2^53. */
export function binomial(n: number, k: number): number {
  let c = 1
  // Each step is C(n, i + 1), an integer.
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1)
  return c
}

export function gcd(a: number, b: number): number {
  let x = a
  let y = b
  while (y !== 0) [x, y] = [y, x % y]
  return x
}
