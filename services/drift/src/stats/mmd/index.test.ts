import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random, relativeError } from '../testing/index.ts'
import { EVIDENTLY_MMD_PY } from './evidently.ts'
import { empiricalMmd, MMD_MAX_SAMPLE } from './index.ts'

describe('empiricalMmd', () => {
  it('finds no drift between samples of one distribution, and drift between shifted ones', () => {
    const r = random(51)
    const same = empiricalMmd(r.normals(200), r.normals(150))
    expect(same.pValue).toBeGreaterThan(0.1)
    const shifted = empiricalMmd(r.normals(200), r.normals(150, 1))
    expect(shifted.pValue).toBe(0)
    expect(shifted.statistic).toBeGreaterThan(same.statistic)
  })

  it('is repeatable: its permutations are seeded', () => {
    const r = random(52)
    const x = r.normals(100)
    const y = r.normals(120, 0.2)
    expect(empiricalMmd(x, y)).toEqual(empiricalMmd(x, y))
  })

  it('needs two values in each sample', () => {
    expect(() => empiricalMmd(Float64Array.of(1), Float64Array.of(1, 2))).toThrow(/at least 2/)
  })
})

describeWith(installed('scipy'), "empiricalMmd against Evidently's numpy", () => {
  const r = random(53)
  const samples = [
    { name: 'same distribution', ref: r.normals(300), cur: r.normals(250) },
    { name: 'small shift', ref: r.normals(400, 0, 1), cur: r.normals(300, 0.15, 1) },
    { name: 'scale change, odd size', ref: r.normals(201, 3, 1), cur: r.normals(180, 3, 1.3) },
    { name: 'ties', ref: r.integers(500, 7), cur: r.integers(400, 8) },
    {
      name: 'all equal reference (σ fallback)',
      ref: new Float64Array(50).fill(2),
      cur: r.normals(60, 2),
    },
    {
      name: 'subsampled beyond the cap',
      ref: r.normals(MMD_MAX_SAMPLE + 1500, 10, 2),
      cur: r.normals(MMD_MAX_SAMPLE + 200, 10.1, 2),
    },
  ]
  const expected = python<Array<[number, number]>>(
    `${EVIDENTLY_MMD_PY}
result = [evidently_mmd(s["ref"], s["cur"], data["cap"]) for s in data["samples"]]
`,
    { samples, cap: MMD_MAX_SAMPLE },
  )

  it.each(samples.map((s, i) => [s.name, s, i] as const))('%s', (_, { ref, cur }, i) => {
    const [statistic, pValue] = expected()[i] as [number, number]
    const result = empiricalMmd(ref, cur)
    expect(relativeError(result.statistic, statistic)).toBeLessThan(1e-9)
    expect(result.pValue).toBe(pValue)
  })
})
