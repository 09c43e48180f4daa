import { binomial, gcd } from '../special/index.ts'

/**
 * The exact p-value of the two-sample Cramér–von Mises test, as scipy's _pval_cvm_2samp_exact
 * (Xiao, Gordon and Yakovlev 2006, Algorithm 1): walking the lattice from (0, 0) to (n, m), each
 * node carries the frequency table of Σ (a·v − b·u)² over the paths reaching it, with a = lcm / m
 * and b = lcm / n; the p-value is the share of complete paths whose sum reaches ζ, the statistic
 * on the same scale. Sums and counts are integers below 2^53 for samples of up to 20.
 */
export function exactPValue(u: number, m: number, n: number): number {
  const lcm = (m / gcd(m, n)) * n
  const a = lcm / m
  const b = lcm / n
  const mn = m * n
  // Anderson's eq. 9 with Xiao et al.'s eq. 2, floored as scipy's float // does.
  const zeta = floorDivide(lcm ** 2 * (m + n) * (6 * u - mn * (4 * mn - 1)), 6 * mn ** 2)
  let row: Table[] = [{ sums: [0], counts: [1] }]
  for (let v = 1; v <= m; v++) row.push({ sums: [], counts: [] })
  for (let i = 0; i <= n; i++) {
    const next: Table[] = []
    let left: Table = { sums: [], counts: [] }
    for (let v = 0; v <= m; v++) {
      left = shifted(merge(left, row[v] as Table), (a * v - b * i) ** 2)
      next.push(left)
    }
    row = next
  }
  const last = row[m] as Table
  let reached = 0
  last.sums.forEach((sum, i) => {
    if (sum >= zeta) reached += last.counts[i] as number
  })
  return reached / binomial(m + n, m)
}

/** Distinct path sums in ascending order, and how many paths have each. */
interface Table {
  sums: number[]
  counts: number[]
}

function merge(p: Table, q: Table): Table {
  const sums: number[] = []
  const counts: number[] = []
  let i = 0
  let j = 0
  while (i < p.sums.length || j < q.sums.length) {
    const fromP =
      j >= q.sums.length || (i < p.sums.length && (p.sums[i] as number) <= (q.sums[j] as number))
    const sum = (fromP ? p.sums[i] : q.sums[j]) as number
    let count = 0
    if (i < p.sums.length && p.sums[i] === sum) count += p.counts[i++] as number
    if (j < q.sums.length && q.sums[j] === sum) count += q.counts[j++] as number
    sums.push(sum)
    counts.push(count)
  }
  return { sums, counts }
}

const shifted = (table: Table, by: number): Table => ({
  sums: table.sums.map((sum) => sum + by),
  counts: table.counts,
})

/** Python's float floor division (fmod, then the quotient corrected towards −∞). */
function floorDivide(x: number, y: number): number {
  let mod = x % y
  let quotient = (x - mod) / y
  if (mod !== 0 && y < 0 !== mod < 0) {
    mod += y
    quotient -= 1
  }
  const floor = Math.floor(quotient)
  return quotient - floor > 0.5 ? floor + 1 : floor
}
