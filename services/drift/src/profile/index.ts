/**
 * The reference profile: what the drift service keeps of a model version's reference data — per
 * column summaries, a KLL sketch and Sturges histogram for numerical columns, category frequencies
 * for categorical ones, and a bounded uniform row sample for the exact tests. Plain JSON.
 */
import {
  type ColumnType,
  DriftInputError,
  inferType,
  type Table,
  type Value,
} from '../detect/index.ts'
import { isVectorColumn, vectorMatrix } from '../embeddings/index.ts'
import { readCategory, readNumber } from '../quality/index.ts'
import { BoundedCounts, DEFAULT_K, Kll, Reservoir } from '../sketch/index.ts'
import { histogram, populationStd, sturgesEdges } from '../stats/index.ts'
import type {
  CategoricalProfile,
  ColumnProfile,
  EmbeddingProfile,
  NumericalProfile,
  ReferenceProfile,
} from './types.ts'

export type * from './types.ts'

export interface ProfileOptions {
  /** Column types by name, overriding inference (detect's inferType on the reference alone). */
  types?: Record<string, ColumnType>
  /** Rows kept in `sample`; 5000 by default. */
  sampleSize?: number
  /** Seeds the sample and the sketches' compactions, so a profile can be rebuilt identically. */
  seed?: number
}

export const DEFAULT_SAMPLE_SIZE = 5000
/** Values kept of each vector column's sample: the profile is JSON, stored and held per version. */
export const PROFILE_VECTOR_VALUES = 2 ** 19

/**
 * Profiles every column of `table`; a column whose first present cell is a vector (a JSON array)
 * goes to `embeddings`. Throws DriftInputError for a table without columns, with columns of
 * different lengths, or with a bad vector (named by column and row); missing and unreadable
 * tabular values are counted, never rejected.
 */
export function buildProfile(table: Table, options: ProfileOptions = {}): ReferenceProfile {
  const all = Object.keys(table)
  const given = (name: string) => options.types && Object.hasOwn(options.types, name)
  const vectors = all.filter((name) => !given(name) && isVectorColumn(table[name] ?? []))
  const names = all.filter((name) => !vectors.includes(name))
  const first = all[0]
  if (first === undefined) throw new DriftInputError('the reference has no columns')
  const rows = (table[first] as ReadonlyArray<Value>).length
  for (const name of all) {
    const length = (table[name] as ReadonlyArray<Value>).length
    if (length !== rows) {
      throw new DriftInputError(`column '${name}' has ${length} values, column '${first}' ${rows}`)
    }
  }
  const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE
  const seed = options.seed ?? 0
  const types = Object.fromEntries(
    names.map((name) => {
      const values = table[name] as ReadonlyArray<Value>
      const type =
        options.types && Object.hasOwn(options.types, name) ? options.types[name] : undefined
      return [name, type ?? inferType(values, [])]
    }),
  )
  const columns = Object.fromEntries(
    names.map((name, c): [string, ColumnProfile] => {
      const values = table[name] as ReadonlyArray<Value>
      return [
        name,
        types[name] === 'numerical'
          ? numericalProfile(values, seed + c)
          : categoricalProfile(values),
      ]
    }),
  )
  const reservoir = new Reservoir<number>(sampleSize, seed)
  for (let row = 0; row < rows; row++) reservoir.offer(row)
  const picked = Int32Array.from(reservoir.sample).sort()
  const sample = Object.fromEntries(
    names.map((name) => {
      const values = table[name] as ReadonlyArray<Value>
      const read = types[name] === 'numerical' ? sampleNumber : sampleCategory
      return [name, Array.from(picked, (row) => read(values[row]))]
    }),
  )
  const profile: ReferenceProfile = {
    version: 1,
    rows,
    created_at: new Date().toISOString(),
    columns,
    sample,
  }
  if (vectors.length > 0) {
    profile.embeddings = Object.fromEntries(
      vectors.map((name, v) => [
        name,
        embeddingProfile(name, table[name] ?? [], sampleSize, seed + all.length + v),
      ]),
    )
  }
  return profile
}

function embeddingProfile(
  name: string,
  values: ReadonlyArray<Value>,
  sampleSize: number,
  seed: number,
): EmbeddingProfile {
  const matrix = vectorMatrix(values, { column: name, sample: 'reference' })
  const { dim, data } = matrix
  const capacity = Math.max(2, Math.min(sampleSize, Math.floor(PROFILE_VECTOR_VALUES / dim)))
  const reservoir = new Reservoir<number>(capacity, seed)
  for (let row = 0; row < matrix.rows; row++) reservoir.offer(row)
  const picked = Int32Array.from(reservoir.sample).sort()
  return {
    type: 'embedding',
    dim,
    count: matrix.rows,
    missing: values.length - matrix.rows,
    sample: Array.from(picked, (row) => Array.from(data.subarray(row * dim, (row + 1) * dim))),
  }
}

/** The profile's row sample as a table over the profile's columns, for detectDrift. */
export function profileSampleTable(profile: ReferenceProfile): Table {
  return Object.fromEntries(
    Object.keys(profile.columns).map((name) => [
      name,
      Object.hasOwn(profile.sample, name) ? (profile.sample[name] as ReadonlyArray<Value>) : [],
    ]),
  )
}

/** Each column's type, for detectDrift's `types` option. */
export function profileTypes(profile: ReferenceProfile): Record<string, ColumnType> {
  return Object.fromEntries(
    Object.entries(profile.columns).map(([name, column]) => [name, column.type]),
  )
}

function numericalProfile(values: ReadonlyArray<Value>, seed: number): NumericalProfile {
  const present: number[] = []
  for (const value of values) {
    const x = readNumber(value)
    if (x !== undefined && !Number.isNaN(x)) present.push(x)
  }
  const data = Float64Array.from(present)
  const sketch = new Kll(DEFAULT_K, seed)
  for (const x of data) sketch.update(x)
  const edges = sturgesEdges(data)
  const summary =
    data.length === 0
      ? { min: null, max: null, mean: null, std: null }
      : {
          min: sketch.min,
          max: sketch.max,
          mean: data.reduce((sum, x) => sum + x, 0) / data.length,
          std: populationStd(data),
        }
  return {
    type: 'numerical',
    count: data.length,
    missing: values.length - data.length,
    ...summary,
    sketch: sketch.toJSON(),
    histogram: { edges: Array.from(edges), counts: Array.from(histogram(data, edges)) },
  }
}

function categoricalProfile(values: ReadonlyArray<Value>): CategoricalProfile {
  const counts = new BoundedCounts()
  for (const value of values) {
    const key = readCategory(value, true)
    if (typeof key === 'string') counts.add(key)
  }
  return {
    type: 'categorical',
    count: counts.total,
    missing: values.length - counts.total,
    frequencies: Object.fromEntries(counts.toMap()),
  }
}

function sampleNumber(value: Value | undefined): number | null {
  const x = readNumber(value)
  return x !== undefined && !Number.isNaN(x) ? x : null
}

function sampleCategory(value: Value | undefined): string | null {
  return readCategory(value, true) ?? null
}
