import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { andersonDarling } from './index.ts'

describe('andersonDarling', () => {
  it('caps the p-value at 0.25 and floors it at 0.001, as the table does', () => {
    const r = random(4)
    const same = r.normals(200)
    expect(andersonDarling(same, same).pValue).toBe(0.25)
    expect(andersonDarling(r.normals(200), r.normals(200, 2)).pValue).toBe(0.001)
  })

  it('interpolates between the tabulated levels', () => {
    const r = random(9)
    const { pValue } = andersonDarling(r.normals(300), r.normals(300, 0.2))
    expect(pValue).toBeGreaterThan(0.001)
    expect(pValue).toBeLessThan(0.25)
  })

  it('tests one value against the same value at the cap, where scipy refuses', () => {
    expect(andersonDarling([5, 5], [5, 5, 5]).pValue).toBe(0.25)
  })

  it('needs three values in all', () => {
    expect(() => andersonDarling([1], [2])).toThrow(/three/)
  })
})

describeWith(installed('scipy'), 'andersonDarling against scipy.stats.anderson_ksamp', () => {
  const r = random(61)
  const cases: Array<{ name: string; x: Float64Array; y: Float64Array }> = []
  for (const [n1, n2] of [
    [2, 2],
    [3, 8],
    [20, 20],
    [100, 70],
    [1000, 1500],
    [100_000, 100_000],
  ] as const) {
    cases.push({ name: `normal ${n1}×${n2}`, x: r.normals(n1), y: r.normals(n2) })
    for (const shift of [0.05, 0.15, 0.4])
      cases.push({
        name: `shifted ${shift} ${n1}×${n2}`,
        x: r.normals(n1),
        y: r.normals(n2, shift),
      })
  }
  for (const [n1, n2, k] of [
    [5, 7, 3],
    [50, 40, 5],
    [3000, 2000, 8],
    [60_000, 50_000, 30],
  ] as const) {
    cases.push({ name: `ties ${n1}×${n2} over ${k}`, x: r.integers(n1, k), y: r.integers(n2, k) })
  }

  const expected = python<Array<[number, number]>>(
    `import warnings
warnings.simplefilter("ignore")
result = [[(res := stats.anderson_ksamp([c["x"], c["y"]])).statistic, res.pvalue] for c in data]`,
    cases.map(({ x, y }) => ({ x, y })),
  )

  it('covers interpolated p-values, not only the bounds', () => {
    const inside = expected().filter(([, p]) => p > 0.001 && p < 0.25)
    expect(inside.length).toBeGreaterThanOrEqual(5)
  })

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_, { x, y }, i) => {
    const [statistic, pValue] = expected()[i] as [number, number]
    const result = andersonDarling(x, y)
    // The statistic subtracts 1 from A²akN ≈ 1: held absolutely at the scale of A²akN.
    expect(Math.abs(result.statistic - statistic)).toBeLessThan(
      1e-11 * Math.max(1, Math.abs(statistic)),
    )
    expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-9)
  })
})
