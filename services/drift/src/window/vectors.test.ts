import { describe, expect, it } from 'vitest'
import { buildProfile, PROFILE_VECTOR_VALUES } from '../profile/index.ts'
import { DriftWindows } from './index.ts'
import { vectorCapacity, WINDOW_VECTOR_VALUES } from './vectors.ts'

const vector = (i: number, dim = 3) => Array.from({ length: dim }, (_, j) => i + j / 10)

describe('vector columns in profiles and windows', () => {
  it('profiles a vector column apart, sampling at most 2^19 values', () => {
    const rows = 300
    const profile = buildProfile({
      x: Array.from({ length: rows }, (_, i) => i),
      emb: Array.from({ length: rows }, (_, i) =>
        i === 7 ? null : JSON.stringify(vector(i, 4096)),
      ),
    })
    expect(Object.keys(profile.columns)).toEqual(['x'])
    const emb = profile.embeddings?.emb
    expect(emb).toMatchObject({ type: 'embedding', dim: 4096, count: rows - 1, missing: 1 })
    expect(emb?.sample).toHaveLength(PROFILE_VECTOR_VALUES / 4096)
    // In reference order, each a whole row of the reference.
    const firsts = emb?.sample.map((v) => v[0] as number) ?? []
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b))
    expect(emb?.sample[0]).toEqual(vector(firsts[0] as number, 4096))
  })

  it('names the row of a bad reference vector', () => {
    expect(() => buildProfile({ emb: ['[1, 2]', '[1, 2, 3]'] })).toThrow(
      "column 'emb', reference row 2: 3 values where the column's vectors have 2",
    )
  })

  it('shares the budget among panes, keeping at least two vectors', () => {
    const layout = { names: ['e'], dims: [4096] }
    expect(vectorCapacity(layout, 1, 5000)).toBe(WINDOW_VECTOR_VALUES / 4096)
    expect(vectorCapacity(layout, 10, 5000)).toBe(Math.floor(WINDOW_VECTOR_VALUES / 40960))
    expect(vectorCapacity(layout, 1000, 5000)).toBe(2)
    expect(vectorCapacity({ names: ['e'], dims: [8] }, 4, 250)).toBe(250)
  })

  it("keeps a window's vectors, oldest pane first, a malformed one counted missing", () => {
    const profile = buildProfile({
      x: [1, 2, 3],
      emb: [vector(0), vector(1), vector(2)].map((v) => JSON.stringify(v)),
    })
    const windows = new DriftWindows(profile, { kind: 'count', size: 10, slide: 5 })
    const rows = Array.from({ length: 10 }, (_, i) => ({
      x: i,
      emb: i === 4 ? [1, 2] : i === 6 ? [1, Number.NaN, 2] : vector(i),
    }))
    const [window] = windows.add(rows)
    const kept = window?.vectors?.emb
    expect(kept?.dim).toBe(3)
    expect(kept?.rows).toBe(8)
    expect(Array.from(kept?.data ?? [])).toEqual([0, 1, 2, 3, 5, 7, 8, 9].flatMap((i) => vector(i)))
    expect(window?.quality.unknown_features).toEqual([])
  })
})
