import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { describe, expect, it } from 'vitest'
import { METHODS, SKETCH_KS } from '../../services/drift/src/detect/index.ts'
import { METHOD_SPECS } from '../../services/drift/src/detect/methods.ts'
import { promTargets } from '../testing/queries.ts'
import { driftDashboard } from './drift.ts'

const board = driftDashboard() as dashboard.Dashboard
const panels = (board.panels ?? []) as dashboard.Panel[]
const panel = (title: string) => {
  const found = panels.find((p) => p.title === title)
  if (!found) throw new Error(`no panel "${title}"`)
  return found
}
const exprs = (p: dashboard.Panel) => promTargets(p).map((t) => t.expr)

/** The methods a panel's drift score query selects, from its `method=~"a|b"` matcher. */
const scoreMethods = (p: dashboard.Panel) =>
  exprs(p)
    .filter((expr) => expr.includes('infera_drift_feature_score'))
    .flatMap((expr) => /method=~"([^"]+)"/.exec(expr)?.[1]?.split('|') ?? ['(every method)'])

describe('the drift dashboard', () => {
  it('draws p-values on a log10 axis, with the line where the drift service calls drift', () => {
    const pValue = panel('p-value')
    const defaults = pValue.fieldConfig?.defaults
    expect(defaults?.custom?.scaleDistribution).toEqual({ type: 'log', log: 10 })
    // Its tests' default threshold, read from the service, not restated here.
    const threshold = METHOD_SPECS.ks.defaultThreshold
    expect(METHOD_SPECS.chisquare.defaultThreshold).toBe(threshold)
    expect(defaults?.thresholds?.steps).toEqual([
      { value: null, color: 'red' },
      { value: threshold, color: 'green' },
    ])
    expect(defaults?.custom?.thresholdsStyle?.mode).toMatch(/^(line|dashed)/)
    expect(pValue.description).toContain(String(threshold))
    // A zero p-value has no place on a log axis: it is floored at the axis's minimum instead.
    const floor = defaults?.min as number
    expect(floor).toBeGreaterThan(0)
    expect(defaults?.max).toBe(1)
    expect(exprs(pValue)).toEqual([
      expect.stringMatching(new RegExp(`^clamp_min\\(.*, ${floor}\\)$`)),
    ])
  })

  it('draws each method’s statistic on an axis of its own scale, every method once', () => {
    const scorePanels = panels.filter((p) => scoreMethods(p).length > 0)
    const byPanel = Object.fromEntries(scorePanels.map((p) => [p.title, scoreMethods(p)]))
    expect(byPanel).toEqual({
      'KS statistic (D)': ['ks', SKETCH_KS],
      'Chi-square statistic': ['chisquare'],
      'z statistic': ['ztest'],
      Distances: ['wasserstein', 'jensenshannon', 'psi', 'kl_div'],
      'Opt-in methods': expect.arrayContaining(['anderson', 't_test', 'TVD']),
    })
    expect(Object.values(byPanel).flat().sort()).toEqual([...METHODS, SKETCH_KS].sort())
    const ks = panel('KS statistic (D)').fieldConfig?.defaults
    expect([ks?.min, ks?.max]).toEqual([0, 1])
  })

  it('draws the distances’ line at their default threshold', () => {
    const threshold = METHOD_SPECS.wasserstein.defaultThreshold
    for (const method of ['jensenshannon', 'psi', 'kl_div'] as const) {
      expect(METHOD_SPECS[method].defaultThreshold).toBe(threshold)
    }
    const defaults = panel('Distances').fieldConfig?.defaults
    expect(defaults?.thresholds?.steps.find((s) => s.color === 'red')?.value).toBe(threshold)
    expect(defaults?.custom?.thresholdsStyle?.mode).not.toBe('off')
  })

  it('leaves an infinite chi-square (exported as the largest double) out of its axis', () => {
    expect(exprs(panel('Chi-square statistic'))[0]).toMatch(/\) < 1\.7976931348623157e\+308$/)
  })
})
