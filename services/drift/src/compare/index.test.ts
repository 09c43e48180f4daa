import { describe, expect, it } from 'vitest'
import { penguinsComparison } from '../report/fixture.ts'
import { renderDriftReport } from '../report/index.ts'

const { reference, current, evaluation } = await penguinsComparison()
const mass = (penguins: typeof reference) => penguins.map((p) => p.body_mass_g)

describe('comparisonEvaluation of two penguin files', () => {
  it('bins numbers over both files’ range, so values past the reference’s are drawn where they lie', () => {
    const body = evaluation.distributions.body_mass_g
    if (body?.type !== 'numerical') throw new Error('body_mass_g is numerical')
    const referenceMax = Math.max(...mass(reference))
    const currentMax = Math.max(...mass(current))
    expect(currentMax).toBeGreaterThan(referenceMax)
    expect(body.edges[0]).toBeLessThanOrEqual(Math.min(...mass(reference), ...mass(current)))
    expect(body.edges.at(-1)).toBeGreaterThanOrEqual(currentMax)
    // Every bin wholly above the reference's maximum: no reference rows, and exactly the current
    // rows that lie there.
    const above = body.edges.slice(0, -1).flatMap((left, i) => (left > referenceMax ? [i] : []))
    expect(above.length).toBeGreaterThan(0)
    for (const i of above) expect(body.reference[i]).toBe(0)
    const left = body.edges[above[0] as number] as number
    const beyond = mass(current).filter((m) => m >= left).length / current.length
    const drawn = above.reduce((sum, i) => sum + (body.current[i] as number), 0)
    expect(drawn).toBeCloseTo(beyond, 12)
    expect(body.reference.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(body.current.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
  })

  it('states the dataset rule and explains an infinite chi-square, naming the unseen category', () => {
    expect(evaluation.drift.drift_share).toBe(0.5)
    const island = evaluation.drift.features.island
    expect(island?.statistic).toBe(Number.POSITIVE_INFINITY)
    const torgersen = current.filter((p) => p.island === 'Torgersen').length
    const warning = evaluation.drift.warnings.find((w) => w.startsWith("column 'island'"))
    expect(warning).toContain(`'Torgersen' (${torgersen} rows)`)
    expect(warning).toContain('never had')
  })

  it('summarises each feature for both files', () => {
    const summary = evaluation.summaries?.body_mass_g
    if (summary?.type !== 'numerical') throw new Error('body_mass_g is numerical')
    expect(summary.reference).toMatchObject({
      count: reference.length,
      missing: 0,
      min: Math.min(...mass(reference)),
      max: Math.max(...mass(reference)),
    })
    expect(summary.current).toMatchObject({
      count: current.length,
      min: Math.min(...mass(current)),
      max: Math.max(...mass(current)),
    })
    const mean = mass(current).reduce((a, b) => a + b, 0) / current.length
    expect(summary.current.mean).toBeCloseTo(mean, 9)
    const islands = evaluation.summaries?.island
    if (islands?.type !== 'categorical') throw new Error('island is categorical')
    expect(islands.reference.top.map((t) => t.category).sort()).toEqual(['Biscoe', 'Dream'])
    expect(islands.current.distinct).toBe(2)
    const biscoe = current.filter((p) => p.island === 'Biscoe').length / current.length
    expect(islands.current.top[0]).toEqual({ category: 'Biscoe', share: biscoe })
  })

  it('labels the report with the two files, not a model and a time window', () => {
    const html = renderDriftReport(evaluation)
    expect(html).toContain(
      `Reference file <strong>reference.csv</strong> (${reference.length} rows) vs current file <strong>current.csv</strong> (${current.length} rows)`,
    )
    expect(html).toContain('<div class="label">Current file</div>')
    expect(html).not.toContain('Current window')
    expect(html).not.toContain('Model <strong>')
    expect(html).not.toMatch(/from <time/)
  })
})
