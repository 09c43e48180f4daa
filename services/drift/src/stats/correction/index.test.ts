import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../../testing/tools/index.ts'
import { python, random } from '../testing/index.ts'
import { benjaminiHochberg, bonferroni } from './index.ts'

describe('bonferroni', () => {
  it('multiplies by the number of tests, capped at 1', () => {
    expect([...bonferroni([0.01, 0.02, 0.5])]).toEqual([0.03, 0.06, 1])
  })
})

describe('benjaminiHochberg', () => {
  it('adjusts step-up and keeps input order', () => {
    // Sorted: 0.01·4/1 = 0.04, 0.02·4/2 = 0.04, 0.03·4/3 = 0.04, 0.5·4/4 = 0.5.
    const adjusted = benjaminiHochberg([0.5, 0.03, 0.01, 0.02])
    expect([...adjusted].map((p) => +p.toFixed(12))).toEqual([0.5, 0.04, 0.04, 0.04])
  })

  it('never exceeds Bonferroni and never falls below the raw p-value', () => {
    const p = Float64Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0 ? 1e-4 * i : random(i).uniform(),
    )
    const bh = benjaminiHochberg(p)
    const bf = bonferroni(p)
    p.forEach((v, i) => {
      expect(bh[i]).toBeGreaterThanOrEqual(v)
      expect(bh[i]).toBeLessThanOrEqual(bf[i] as number)
    })
  })
})

describeWith(installed('scipy'), 'benjaminiHochberg against scipy', () => {
  const p = Float64Array.from({ length: 25 }, (_, i) => random(100 + i).uniform() ** 3)
  // scipy < 1.11 lacks false_discovery_control: fall back to R's p.adjust(method = "BH").
  const expected = python<number[]>(
    `p = np.asarray(data)
if hasattr(stats, "false_discovery_control"):
    result = stats.false_discovery_control(p, method="bh")
else:
    o = np.argsort(p)[::-1]
    result = np.minimum(1, np.minimum.accumulate(len(p) / np.arange(len(p), 0, -1) * p[o]))[np.argsort(o)]`,
    p,
  )

  it('matches scipy.stats.false_discovery_control(method="bh")', () => {
    benjaminiHochberg(p).forEach((v, i) => {
      expect(v).toBeCloseTo(expected()[i] as number, 15)
    })
  })
})
