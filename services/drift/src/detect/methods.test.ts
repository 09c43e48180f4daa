import { describe, expect, it } from 'vitest'
import { random } from '../stats/testing/index.ts'
import { detectDrift } from './index.ts'
import { isDrifted, isPValueMethod, METHOD_SPECS, METHODS } from './methods.ts'

const EVIDENTLY = {
  anderson: { defaultThreshold: 0.1, rule: 'p < threshold' },
  cramer_von_mises: { defaultThreshold: 0.1, rule: 'p <= threshold' },
  ed: { defaultThreshold: 0.1, rule: 'statistic > threshold' },
  es: { defaultThreshold: 0.05, rule: 'p < threshold' },
  mannw: { defaultThreshold: 0.05, rule: 'p < threshold' },
  t_test: { defaultThreshold: 0.05, rule: 'p < threshold' },
} as const

describe("Evidently's numerical stattests", () => {
  it.each(Object.entries(EVIDENTLY))(
    '%s has its default threshold and drift rule',
    (name, spec) => {
      expect(METHODS).toContain(name)
      const registered = METHOD_SPECS[name as keyof typeof EVIDENTLY]
      expect(registered).toMatchObject(spec)
      expect(registered.types).toEqual(['numerical'])
      expect(isPValueMethod(name as keyof typeof EVIDENTLY)).toBe(name !== 'ed')
    },
  )

  it('drifts on energy distance only above the threshold, as Evidently compares', () => {
    expect(isDrifted('statistic > threshold', 0.1, 0.1)).toBe(false)
    expect(isDrifted('statistic > threshold', 0.10001, 0.1)).toBe(true)
  })

  it('runs each as a per-column override, and refuses it on a categorical column', () => {
    const r = random(5)
    const reference = { a: Array.from(r.normals(300)), c: Array(300).fill('x') }
    const current = { a: Array.from(r.normals(300, 1)), c: Array(300).fill('y') }
    for (const method of Object.keys(EVIDENTLY) as Array<keyof typeof EVIDENTLY>) {
      const report = detectDrift(reference, current, { columns: ['a'], methods: { a: method } })
      expect(report.features.a).toMatchObject({ method, drifted: true })
      expect(() =>
        detectDrift(reference, current, { columns: ['c'], methods: { c: method } }),
      ).toThrow(/categorical: method/)
    }
  })

  it('reports data a test cannot take against the column', () => {
    const flat = { a: [1, 1, 1, 1, 1, 1, 1, 1, 1, 2] }
    expect(() =>
      detectDrift(flat, flat, { types: { a: 'numerical' }, methods: { a: 'es' } }),
    ).toThrow(/column 'a': eppsSingleton: the interquartile range/)
  })
})
