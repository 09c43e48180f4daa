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

describe('compareFiles with vector columns', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { random } = await import('../stats/testing/index.ts')
  const { compareFiles } = await import('./index.ts')
  const dir = mkdtempSync(join(tmpdir(), 'infera-compare-embeddings-'))
  const dim = 32
  // Components of sd 1/√dim, as a unit-norm embedding's; the shift moves each by `shift` sd.
  const sd = 1 / Math.sqrt(dim)
  const vector = (r: ReturnType<typeof random>, shift: number) =>
    `"[${Array.from(r.normals(dim, shift * sd, sd)).join(', ')}]"`
  /** Rows of a number and two embeddings: one as the reference's, one shifted by `shift`. */
  const csv = (
    name: string,
    seed: number,
    rows: number,
    shift: number,
    edit?: (lines: string[]) => void,
  ) => {
    const r = random(seed)
    const lines = ['x,stable,moved']
    for (let i = 0; i < rows; i++) lines.push(`${r.normal()},${vector(r, 0)},${vector(r, shift)}`)
    edit?.(lines)
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`)
    return join(dir, name)
  }
  const reference = csv('reference.csv', 1, 1200, 0)
  const current = csv('current.csv', 2, 800, 0.4)

  it('tests each vector column whole, beside the tabular ones', async () => {
    for (const embeddingMethod of ['model', 'ratio', 'mmd', 'distance'] as const) {
      const { report, types } = await compareFiles({ reference, current, embeddingMethod })
      expect(Object.keys(report.features)).toEqual(['x'])
      expect(types).toEqual({ x: 'numerical' })
      expect(report.number_of_columns).toBe(1)
      expect(report.embeddings?.stable).toMatchObject({
        method: embeddingMethod,
        dimension: dim,
        drifted: false,
      })
      expect(report.embeddings?.moved).toMatchObject({
        method: embeddingMethod,
        dimension: dim,
        drifted: true,
      })
    }
    const { report } = await compareFiles({ reference, current })
    // Evidently's default: the model method, bootstrapped only below 1,000 reference rows.
    expect(report.embeddings?.moved).toMatchObject({
      method: 'model',
      bootstrap: false,
      threshold: 0.55,
    })
  })

  it('names the file, column and line of a bad vector', async () => {
    const cases: Array<[(lines: string[]) => void, string]> = [
      [
        (l) => {
          l[3] = '1,"[1, 2]","[1, 2]"'
        },
        `column 'stable', bad.csv line 4: 2 values where the column's vectors have ${dim}`,
      ],
      [
        (l) => {
          l[5] = `1,"[${'1,'.repeat(dim - 1)}""x""]",[]`
        },
        'column \'stable\', bad.csv line 6: value 31 is "x", not a finite number',
      ],
      [
        (l) => {
          l[2] = `1,"[${'0,'.repeat(5000)}0]",[]`
        },
        "column 'stable', bad.csv line 3: 5001 values, over the limit of 4096",
      ],
      [
        (l) => {
          l[2] = '1,oops,[]'
        },
        "column 'stable', bad.csv line 3: not a JSON array of numbers",
      ],
    ]
    for (const [edit, message] of cases) {
      const bad = csv('bad.csv', 3, 20, 0, edit)
      await expect(compareFiles({ reference, current: bad })).rejects.toThrow(message)
    }
  })
})
