import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { detectDrift, type Table } from '../detect/index.ts'
import { Kll, OVERFLOW_CATEGORY } from '../sketch/index.ts'
import { histogram, populationStd, sturgesEdges } from '../stats/index.ts'
import {
  buildProfile,
  type CategoricalProfile,
  type NumericalProfile,
  profileSampleTable,
  profileTypes,
} from './index.ts'

// Palmer penguins (vega-datasets): 344 rows, a few missing measurements, Sex null or '.'.
const PENGUINS = fileURLToPath(
  new URL('../../../../node_modules/vega-datasets/data/penguins.json', import.meta.url),
)
const rows = JSON.parse(readFileSync(PENGUINS, 'utf8')) as Array<
  Record<string, number | string | null>
>
const names = Object.keys(rows[0] as object)
const penguins: Table = Object.fromEntries(
  names.map((name) => [name, rows.map((row) => row[name] ?? null)]),
)
const present = (name: string) =>
  Float64Array.from(rows.map((row) => row[name]).filter((v): v is number => typeof v === 'number'))

describe('buildProfile on penguins', () => {
  const profile = buildProfile(penguins, { seed: 1 })

  it('types the columns as detect infers them', () => {
    expect(profileTypes(profile)).toEqual({
      Species: 'categorical',
      Island: 'categorical',
      'Beak Length (mm)': 'numerical',
      'Beak Depth (mm)': 'numerical',
      'Flipper Length (mm)': 'numerical',
      'Body Mass (g)': 'numerical',
      Sex: 'categorical',
    })
    expect(profile).toMatchObject({ version: 1, rows: 344 })
    expect(Date.parse(profile.created_at)).not.toBeNaN()
  })

  it('summarises numerical columns: counts, range, mean, population std, Sturges histogram', () => {
    const column = profile.columns['Body Mass (g)'] as NumericalProfile
    const values = present('Body Mass (g)')
    const edges = sturgesEdges(values)
    expect(column).toMatchObject({
      type: 'numerical',
      count: 342,
      missing: 2,
      min: 2700,
      max: 6300,
      std: populationStd(values),
      histogram: { edges: Array.from(edges), counts: Array.from(histogram(values, edges)) },
    })
    expect(column.mean).toBeCloseTo(4201.754385964912, 9)
    expect(column.histogram.counts.reduce((a, b) => a + b, 0)).toBe(342)
    // 342 values: past k = 200, so the sketch is estimating.
    const sketch = Kll.fromJSON(column.sketch)
    expect(sketch).toMatchObject({ n: 342, min: 2700, max: 6300, isEstimating: true })
    expect(Math.abs(sketch.rank(4000) - values.filter((v) => v <= 4000).length / 342)).toBeLessThan(
      sketch.normalizedRankError(false),
    )
  })

  it('counts categories, with null and the empty string missing', () => {
    expect(profile.columns.Sex).toEqual({
      type: 'categorical',
      count: 334,
      missing: 10,
      frequencies: { MALE: 168, FEMALE: 165, '.': 1 },
    } satisfies CategoricalProfile)
    const island = profile.columns.Island as CategoricalProfile
    expect(island.frequencies).toEqual({ Torgersen: 52, Biscoe: 168, Dream: 124 })
  })

  it('keeps a uniform sample of whole rows, in reference order, typed as windows are', () => {
    const small = buildProfile(penguins, { sampleSize: 50, seed: 2 })
    const sample = profileSampleTable(small)
    expect(Object.keys(sample)).toEqual(names)
    expect(sample.Species).toHaveLength(50)
    const key = (row: Array<unknown>) => JSON.stringify(row)
    const original = new Map(rows.map((row, i) => [key(names.map((n) => row[n] ?? null)), i]))
    const positions = Array.from({ length: 50 }, (_, i) => {
      const position = original.get(key(names.map((n) => sample[n]?.[i])))
      expect(position).toBeDefined()
      return position as number
    })
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
    expect(buildProfile(penguins, { sampleSize: 50, seed: 3 }).sample).not.toEqual(small.sample)
    expect(profileSampleTable(profile).Species).toHaveLength(344)
  })

  it('is plain JSON: it round-trips unchanged', () => {
    expect(JSON.parse(JSON.stringify(profile))).toEqual(profile)
  })

  it('gives a sample that detectDrift compares with a table of the same kind', () => {
    const sample = profileSampleTable(profile)
    const report = detectDrift(sample, sample, { types: profileTypes(profile) })
    expect(report.drifted_columns).toBe(0)
    expect(report.number_of_columns).toBe(7)
  })
})

describe('buildProfile', () => {
  it('takes type overrides, numeric strings and number categories', () => {
    const profile = buildProfile(
      { grade: [1, 2, 2, 3, null], size: ['1.5', 2, ' 3 ', 'big', ''] },
      { types: { size: 'numerical' } },
    )
    expect(profile.columns.grade).toEqual({
      type: 'categorical',
      count: 4,
      missing: 1,
      frequencies: { '1': 1, '2': 2, '3': 1 },
    })
    expect(profile.columns.size).toMatchObject({
      count: 3,
      missing: 2,
      min: 1.5,
      max: 3,
      mean: 6.5 / 3,
    })
    expect(profile.sample).toEqual({
      grade: ['1', '2', '2', '3', null],
      size: [1.5, 2, 3, null, null],
    })
  })

  it('caps categories, counting the rest under the overflow key', () => {
    const ids = Array.from({ length: 1500 }, (_, i) => `id${i}`)
    const column = buildProfile({ id: ids }).columns.id as CategoricalProfile
    expect(Object.keys(column.frequencies)).toHaveLength(1001)
    expect(column.frequencies[OVERFLOW_CATEGORY]).toBe(500)
  })

  it('profiles a numerical column with no values as empty', () => {
    const column = buildProfile({ x: [null, Number.NaN] }, { types: { x: 'numerical' } }).columns.x
    expect(column).toMatchObject({
      count: 0,
      missing: 2,
      min: null,
      max: null,
      mean: null,
      std: null,
    })
  })

  it('refuses a table without columns or with ragged ones', () => {
    expect(() => buildProfile({})).toThrow('no columns')
    expect(() => buildProfile({ a: [1, 2], b: [1] })).toThrow(
      "column 'b' has 1 values, column 'a' 2",
    )
  })
})
