import { describe, expect, it } from 'vitest'
import { buildProfile, type ReferenceProfile } from '../profile/index.ts'
import { checkQuality } from '../quality/index.ts'
import { Kll } from '../sketch/index.ts'
import { DriftWindows, distributions, type WindowSnapshot } from './index.ts'
import { SlidingMerge } from './sliding.ts'

// `id` numbers each row, so a window's sample tells which rows it holds.
const profile = buildProfile(
  {
    id: [0, 1_000_000],
    x: [0.5, 1.5],
    colour: ['red', 'blue'],
  },
  { types: { id: 'numerical' } },
)
const row = (id: number) => ({ id, x: id / 10, colour: id % 3 === 0 ? 'red' : 'blue' })
const rows = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => row(from + i))
const ids = (snapshot: WindowSnapshot | undefined) => snapshot?.table.id

describe('count windows', () => {
  it('tumble: a window every `size` rows, the rest in progress', () => {
    const windows = new DriftWindows(profile, { kind: 'count', size: 4 })
    const completed = windows.add(rows(0, 10))
    expect(completed.map(ids)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ])
    expect(completed[0]?.info).toMatchObject({ kind: 'count', rows: 4 })
    expect(ids(windows.current())).toEqual([8, 9])
    expect(windows.fill()).toBe(0.5)
    expect(windows.rowsSeen).toBe(10)
    expect(windows.add(rows(10, 12)).map(ids)).toEqual([[8, 9, 10, 11]])
  })

  it('slide: once full, a window every `slide` rows over the last `size`', () => {
    const windows = new DriftWindows(profile, { kind: 'count', size: 6, slide: 2 })
    const emittedAt: number[] = []
    const completed: WindowSnapshot[] = []
    for (let id = 0; id < 12; id++) {
      const done = windows.add([row(id)])
      if (done.length > 0) emittedAt.push(id + 1)
      completed.push(...done)
    }
    expect(emittedAt).toEqual([6, 8, 10, 12])
    expect(completed.map(ids)).toEqual([
      [0, 1, 2, 3, 4, 5],
      [2, 3, 4, 5, 6, 7],
      [4, 5, 6, 7, 8, 9],
      [6, 7, 8, 9, 10, 11],
    ])
    // Below k values the sketches are exact: the window's, not the stream's.
    const last = completed[3] as WindowSnapshot
    expect(last.sketches.x).toMatchObject({ n: 6, min: 0.6, max: 1.1 })
    expect(last.sketches.x?.quantile(0.5)).toBe(0.8)
    expect(last.counts.colour).toEqual(
      new Map([
        ['red', 2],
        ['blue', 4],
      ]),
    )
    expect(last.quality.rows).toBe(6)
    expect(ids(windows.current())).toEqual([8, 9, 10, 11])
    expect(windows.fill()).toBeCloseTo(4 / 6, 12)
  })

  it('emits the same windows whatever the batching', () => {
    const oneBatch = new DriftWindows(profile, { kind: 'count', size: 30, slide: 10, seed: 4 })
    const manyBatches = new DriftWindows(profile, { kind: 'count', size: 30, slide: 10, seed: 4 })
    const all = oneBatch.add(rows(0, 100))
    const pieces = [0, 7, 30, 31, 64, 100].slice(1).flatMap((to, i, tos) => {
      return manyBatches.add(rows(i === 0 ? 0 : (tos[i - 1] as number), to))
    })
    expect(pieces.map((w) => w.table)).toEqual(all.map((w) => w.table))
    expect(all).toHaveLength(8)
  })

  it('samples a window bigger than sampleSize uniformly, drawing on every pane', () => {
    const windows = new DriftWindows(profile, {
      kind: 'count',
      size: 1000,
      slide: 100,
      sampleSize: 50,
    })
    const perPane = new Float64Array(10)
    let emitted = 0
    for (let start = 0; start < 6000; start += 100) {
      for (const window of windows.add(rows(start, start + 100))) {
        const sample = window.table.id as number[]
        const first = start + 100 - 1000
        expect(sample).toHaveLength(50)
        expect(new Set(sample).size).toBe(50)
        for (const id of sample) {
          expect(id).toBeGreaterThanOrEqual(first)
          expect(id).toBeLessThan(start + 100)
          const pane = Math.floor((id - first) / 100)
          perPane[pane] = (perPane[pane] as number) + 1
        }
        expect(window.sketches.id?.n).toBe(1000)
        emitted++
      }
    }
    expect(emitted).toBe(51)
    // Each pane holds a tenth of every window: 0.03 is five standard deviations over 2550 rows.
    for (const count of perPane) expect(Math.abs(count / (emitted * 50) - 0.1)).toBeLessThan(0.03)
  })

  it('types the sample by the profile and counts quality exactly', () => {
    const crafted = [
      { id: 1, x: '2.5', colour: 'red' },
      { id: 2, x: 'n/a', colour: 'green' },
      { id: 3, x: null, colour: 7, shape: 'round' },
      { id: 4, x: 99, colour: '' },
      { id: 5, colour: { hex: '#f00' } },
      'not a row',
    ]
    const windows = new DriftWindows(profile, { kind: 'count', size: 6 })
    const [window] = windows.add(crafted)
    expect(window?.table).toEqual({
      id: [1, 2, 3, 4, 5, null],
      x: [2.5, null, null, 99, null, null],
      colour: ['red', 'green', null, null, null, null],
    })
    expect(window?.quality).toEqual(checkQuality(crafted, profile))
    expect(window?.quality.features.x).toMatchObject({ missing: 3, out_of_range: 2, wrong_type: 1 })
    expect(window?.counts.colour).toEqual(
      new Map([
        ['red', 1],
        ['green', 1],
      ]),
    )
  })

  it('stays within fixed bounds over two million rows through a 10,000-row sliding window', () => {
    const many = buildProfile(
      { a: [0.1, 0.2], b: [1.5, 2.5], tag: ['t0', 't1'] },
      { types: { a: 'numerical', b: 'numerical' } },
    )
    const windows = new DriftWindows(many, { kind: 'count', size: 10_000, slide: 1_000 })
    let emitted = 0
    let largest = { panes: 0, sampleRows: 0, sketchItems: 0, categories: 0 }
    for (let start = 0; start < 2_000_000; start += 1000) {
      const batch = Array.from({ length: 1000 }, (_, i) => {
        const n = start + i
        return { a: (n % 9973) / 9973, b: Math.sin(n), tag: `t${n % 1500}` }
      })
      for (const window of windows.add(batch)) {
        emitted++
        expect(window.info.rows).toBe(10_000)
        expect(window.table.a).toHaveLength(5000)
        expect(window.sketches.b?.n).toBe(10_000)
      }
      const footprint = windows.footprint()
      largest = {
        panes: Math.max(largest.panes, footprint.panes),
        sampleRows: Math.max(largest.sampleRows, footprint.sampleRows),
        sketchItems: Math.max(largest.sketchItems, footprint.sketchItems),
        categories: Math.max(largest.categories, footprint.categories),
      }
    }
    expect(emitted).toBe(1991)
    expect(windows.rowsSeen).toBe(2_000_000)
    // 10 panes of at most 1000 sampled rows. Summaries — the panes' and at most 11 running
    // merges — hold at most 1000 tags each (the cap) and two sketches of at most 1000 items each
    // (for k = 200 a KLL sketch holds ~600 items plus 8 per level: under 1000 up to n = 2^53).
    expect(largest.panes).toBe(10)
    expect(largest.sampleRows).toBeLessThanOrEqual(10_000)
    expect(largest.categories).toBeLessThanOrEqual(21 * 1000)
    expect(largest.sketchItems).toBeLessThanOrEqual(21 * 2 * 1000)
    expect(largest.sketchItems).toBeGreaterThan(0)
  })
})

describe('time windows', () => {
  const T0 = Date.UTC(2026, 10, 23, 9, 0, 0)
  const iso = (ms: number) => new Date(T0 + ms).toISOString()
  const at = (seconds: number[]) => seconds.map((s) => T0 + s * 1000)

  it('complete when a row’s timestamp passes a pane boundary; empty windows are skipped', () => {
    const windows = new DriftWindows(profile, { kind: 'time', size: 60_000, slide: 20_000 })
    expect(windows.add(rows(0, 2), at([1, 5]))).toEqual([])
    const first = windows.add([row(2)], at([21]))
    expect(first.map((w) => w.info)).toEqual([
      {
        id: `${iso(-40_000)}:${iso(20_000)}`,
        kind: 'time',
        start: iso(-40_000),
        end: iso(20_000),
        rows: 2,
      },
    ])
    expect(windows.add([row(3)], at([45])).map(ids)).toEqual([[0, 1, 2]])
    // A row 85 s later closes the panes in between: windows up to the last holding any row.
    const later = windows.add([row(4)], at([130]))
    expect(later.map((w) => [w.info.start, w.info.end])).toEqual([
      [iso(0), iso(60_000)],
      [iso(20_000), iso(80_000)],
      [iso(40_000), iso(100_000)],
    ])
    expect(later.map(ids)).toEqual([[0, 1, 2, 3], [2, 3], [3]])
    expect(windows.add([row(5)], at([50]))).toEqual([])
    expect(windows.lateRows).toBe(1)
    expect(windows.current()?.info).toMatchObject({
      start: iso(80_000),
      end: iso(140_000),
      rows: 1,
    })
  })

  it('stamps rows with now() when no timestamps come, and closes on the clock alone', () => {
    let now = T0 + 1000
    const windows = new DriftWindows(profile, { kind: 'time', size: 10_000, now: () => now })
    expect(windows.current()).toBeUndefined()
    windows.add(rows(0, 3))
    now += 4000
    expect(windows.fill()).toBe(0)
    windows.add(rows(3, 4))
    expect(windows.fill()).toBeCloseTo(0.4, 12)
    now = T0 + 10_000
    const [window] = windows.add([])
    expect(window?.info).toMatchObject({ start: iso(0), end: iso(10_000), rows: 4 })
    expect(windows.add([])).toEqual([])
    expect(windows.current()).toBeUndefined()
  })

  it('ignores a clock behind the rows’ own timestamps', () => {
    const windows = new DriftWindows(profile, { kind: 'time', size: 1000, now: () => T0 })
    windows.add([row(0)], [T0 + 5000])
    expect(windows.add([])).toEqual([])
    expect(windows.add([row(1)], [T0 + 5500])).toEqual([])
    expect(windows.current()?.info).toMatchObject({ start: iso(5000), rows: 2 })
  })

  it('skips a long silence without a window per empty pane', () => {
    const windows = new DriftWindows(profile, { kind: 'time', size: 3000, slide: 1000 })
    windows.add([row(0)], [T0])
    const completed = windows.add([row(1)], [T0 + 365 * 24 * 3600 * 1000])
    expect(completed).toHaveLength(3)
    expect(windows.current()?.info.rows).toBe(1)
  })
})

describe('DriftWindows options', () => {
  it('refuses sizes that are not positive integers and slides that do not divide them', () => {
    expect(() => new DriftWindows(profile, { kind: 'count', size: 10, slide: 3 })).toThrow(
      'slide 3 does not divide size 10',
    )
    expect(() => new DriftWindows(profile, { kind: 'count', size: 0 })).toThrow(RangeError)
    expect(() => new DriftWindows(profile, { kind: 'count', size: 10_000, slide: 1 })).toThrow(
      'more than 1000',
    )
    expect(() => new DriftWindows(profile, { kind: 'time', size: 1.5 })).toThrow(RangeError)
    expect(() => new DriftWindows(profile, { kind: 'hourly' as 'time', size: 1 })).toThrow(
      RangeError,
    )
  })
})

describe('distributions', () => {
  const reference = buildProfile({
    value: Array.from({ length: 100 }, (_, i) => i / 10),
    kind: Array.from({ length: 100 }, (_, i) => `k${i % 25}`),
  })

  it('bins numerical values over both sides’ range on round edges, outliers where they lie', () => {
    const windows = new DriftWindows(reference, { kind: 'count', size: 5 })
    const [window] = windows.add(
      [-5, 0, 4.95, 9.9, 50].map((value) => ({ value, kind: 'k1' })),
    ) as WindowSnapshot[]
    const shares = distributions(window as WindowSnapshot, reference).value
    if (shares?.type !== 'numerical') throw new Error('numerical expected')
    const { edges } = shares
    expect(edges[0]).toBeLessThanOrEqual(-5)
    expect(edges.at(-1)).toBeGreaterThanOrEqual(50)
    // About the reference's Sturges count of bins, each a round width.
    const column = reference.columns.value as ReferenceProfile['columns'][string] & {
      type: 'numerical'
    }
    expect(edges.length - 1).toBeLessThanOrEqual(column.histogram.counts.length + 2)
    const width = (edges[1] as number) - (edges[0] as number)
    expect([1, 2, 5, 10]).toContain(width)
    for (const edge of edges) expect(Number.isInteger(edge / width)).toBe(true)
    // The reference's 100 values 0..9.9, counted exactly; the window's 5 one by one.
    const binOf = (x: number) => edges.findLastIndex((e, i) => i < edges.length - 1 && e <= x)
    const expected = (values: number[]) =>
      shares.reference.map((_, i) => values.filter((x) => binOf(x) === i).length / values.length)
    const close = (actual: number[], wanted: number[]) => {
      expect(actual).toHaveLength(wanted.length)
      for (const [i, share] of actual.entries()) expect(share).toBeCloseTo(wanted[i] as number, 12)
    }
    close(shares.reference, expected(Array.from({ length: 100 }, (_, i) => i / 10)))
    close(shares.current, expected([-5, 0, 4.95, 9.9, 50]))
  })

  it('orders numbers drawn as categories by value', () => {
    const cylinders = buildProfile(
      { cylinders: [8, 4, 4, 6, 8, 8, 3] },
      { types: { cylinders: 'categorical' } },
    )
    const windows = new DriftWindows(cylinders, { kind: 'count', size: 4 })
    const [window] = windows.add([4, 5, 8, 4].map((c) => ({ cylinders: c })))
    const shares = distributions(window as WindowSnapshot, cylinders).cylinders
    if (shares?.type !== 'categorical') throw new Error('categorical expected')
    expect(shares.categories).toEqual(['3', '4', '5', '6', '8'])
    expect(shares.current).toEqual([0, 0.5, 0.25, 0, 0.25])
  })

  it('shows the 20 largest categories of either side and one "other" for the rest', () => {
    const windows = new DriftWindows(reference, { kind: 'count', size: 4 })
    const [window] = windows.add(['k0', 'new', 'new', 'k3'].map((kind) => ({ value: 1, kind })))
    const shares = distributions(window as WindowSnapshot, reference).kind
    if (shares?.type !== 'categorical') throw new Error('categorical expected')
    expect(shares.categories).toHaveLength(21)
    expect(shares.categories.slice(0, 3)).toEqual(['new', 'k0', 'k3'])
    expect(shares.categories[20]).toBe('other')
    expect(shares.current[0]).toBe(0.5)
    expect(shares.reference.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(shares.current.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    // 25 reference categories of 4% each: 17 shown after new, k0 and k3, 6 folded into other.
    expect(shares.reference[20]).toBeCloseTo(0.24, 12)
    expect(shares.current[20]).toBe(0)
  })
})

describe('SlidingMerge', () => {
  class Sum {
    constructor(public total: number) {}
    merge(other: Sum) {
      this.total += other.total
    }
    clone() {
      return new Sum(this.total)
    }
    copyFrom(other: Sum) {
      this.total = other.total
    }
  }

  it('merges exactly the items between the oldest kept and the newest pushed', () => {
    const merged = new SlidingMerge<Sum>()
    expect(merged.query()).toBeUndefined()
    const values = Array.from({ length: 40 }, (_, i) => 2 ** (i % 13) + i)
    for (let i = 0; i < values.length; i++) {
      merged.push(new Sum(values[i] as number))
      if (merged.size > 5) merged.pop()
      const window = values.slice(Math.max(0, i - 4), i + 1)
      expect(merged.query()?.total).toBe(window.reduce((a, b) => a + b, 0))
    }
    merged.clear()
    expect(merged.size).toBe(0)
  })

  it('hands out fresh merges and leaves pushed items unchanged', () => {
    const merged = new SlidingMerge<Kll>()
    const items = [1, 2, 3].map((x) => {
      const sketch = new Kll()
      sketch.update(x)
      return sketch
    })
    for (const item of items) merged.push(item)
    const result = merged.query() as Kll
    result.update(10)
    expect(merged.query()?.n).toBe(3)
    expect(items.map((item) => item.n)).toEqual([1, 1, 1])
  })
})
