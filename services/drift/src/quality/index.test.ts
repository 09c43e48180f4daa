import { describe, expect, it } from 'vitest'
import { buildProfile } from '../profile/index.ts'
import { checkQuality, QualityCounter, qualityLayout, readCategory, readNumber } from './index.ts'

const profile = buildProfile(
  {
    mass: [3000, 4000, 5000, 6000],
    island: ['Biscoe', 'Dream', 'Torgersen', 'Dream'],
    grade: [1, 2, 3, 2],
  },
  // Whole numbers with few values would be categorical, as in Evidently.
  { types: { mass: 'numerical' } },
)

describe('readNumber', () => {
  it('reads numbers and numeric strings; missing is NaN; anything else undefined', () => {
    expect([3.5, '3.5', ' -1e3 ', '+.5', '7.'].map(readNumber)).toEqual([3.5, 3.5, -1000, 0.5, 7])
    for (const missing of [
      null,
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '',
      '  ',
      'NaN',
      '-inf',
      '1e999',
    ]) {
      expect(readNumber(missing)).toBeNaN()
    }
    for (const wrong of ['abc', '0x1f', '1,5', true, {}, [], [1]])
      expect(readNumber(wrong)).toBeUndefined()
  })
})

describe('readCategory', () => {
  it('reads text, and numbers only where the reference has numbers', () => {
    expect(readCategory('Dream', false)).toBe('Dream')
    expect(readCategory(2, true)).toBe('2')
    expect(readCategory(2, false)).toBeUndefined()
    expect(readCategory('', true)).toBeNull()
    expect(readCategory(Number.NaN, false)).toBeNull()
    expect(readCategory(false, true)).toBeUndefined()
    expect(readCategory({ a: 1 }, true)).toBeUndefined()
  })
})

describe('checkQuality', () => {
  it('counts each kind of problem per feature, exactly', () => {
    const report = checkQuality(
      [
        { mass: 4500, island: 'Dream', grade: 2 },
        { mass: '4500.5', island: 'Biscoe', grade: '3' },
        { mass: 7000, island: 'Atlantis', grade: 4 },
        { mass: 2999.9, island: '', grade: null },
        { mass: 'heavy', island: 5, grade: true },
        { mass: null, island: ['Dream'], grade: 1, colour: 'red' },
        { mass: true, island: { name: 'Dream' }, grade: 2.5, beak: 1 },
        { island: 'Dream', grade: 1 },
      ],
      profile,
    )
    expect(report.rows).toBe(8)
    expect(report.features.mass).toEqual({
      missing: 2,
      out_of_range: 2,
      unseen_category: 0,
      wrong_type: 2,
      missing_rate: 0.25,
      out_of_range_rate: 0.25,
      unseen_category_rate: 0,
      wrong_type_rate: 0.25,
    })
    expect(report.features.island).toMatchObject({
      missing: 1,
      unseen_category: 1,
      wrong_type: 3,
      out_of_range: 0,
    })
    // Numbers are grade's categories: 4 and 2.5 are unseen, true is of the wrong type.
    expect(report.features.grade).toMatchObject({ missing: 1, unseen_category: 2, wrong_type: 1 })
    expect(report.missing_features).toEqual([])
    expect(report.unknown_features).toEqual(['beak', 'colour'])
  })

  it('lists features no row had, counting them missing in every row', () => {
    const report = checkQuality([{ mass: 4000 }, { mass: 5000, island: 'Dream' }], profile)
    expect(report.missing_features).toEqual(['grade'])
    expect(report.features.grade).toMatchObject({ missing: 2, missing_rate: 1 })
    expect(report.features.island).toMatchObject({ missing: 1, missing_rate: 0.5 })
  })

  it('never throws: anything but an object is a row with every feature missing', () => {
    const report = checkQuality([null, 42, 'row', [1, 2], undefined, Object.create(null)], profile)
    expect(report.rows).toBe(6)
    expect(report.features.mass).toMatchObject({ missing: 6, wrong_type: 0 })
    expect(report.missing_features).toEqual(['mass', 'island', 'grade'])
    expect(report.unknown_features).toEqual([])
  })

  it('reads only own properties, so features named like Object’s members work', () => {
    const special = buildProfile(
      JSON.parse(
        '{"constructor": [1, 2, 3, 4, 5, 6.5], "__proto__": ["a", "b", "a", "b", "a", "b"]}',
      ),
    )
    const rows = [JSON.parse('{"constructor": 2, "__proto__": "a"}'), { other: 1 }]
    const report = checkQuality(rows, special)
    const features = new Map(Object.entries(report.features))
    expect(features.get('constructor')).toMatchObject({ missing: 1, wrong_type: 0 })
    expect(features.get('__proto__')).toMatchObject({ missing: 1, wrong_type: 0 })
    expect(report.unknown_features).toEqual(['other'])
  })

  it('cannot tell unseen categories when the reference overflowed its cap', () => {
    const ids = buildProfile({ id: Array.from({ length: 1200 }, (_, i) => `id${i}`) })
    expect(checkQuality([{ id: 'id5' }, { id: 'new' }], ids).features.id?.unseen_category).toBe(0)
  })

  it('gives zero rates for no rows', () => {
    const report = checkQuality([], profile)
    expect(report).toMatchObject({ rows: 0, missing_features: [] })
    expect(report.features.mass?.missing_rate).toBe(0)
  })
})

describe('QualityCounter', () => {
  it('merges counters over parts of a stream into the counts of the whole', () => {
    const layout = qualityLayout(profile)
    const rows = [
      { mass: 1 },
      { mass: 'x', island: 'Dream', extra: 1 },
      { mass: 4000, island: 'Nowhere' },
    ]
    const numbers = new Float64Array(layout.numerical.length)
    const categories: Array<string | null> = []
    const whole = new QualityCounter(layout)
    const first = new QualityCounter(layout)
    const second = new QualityCounter(layout)
    rows.forEach((row, i) => {
      whole.read(row, numbers, categories)
      ;(i === 0 ? first : second).read(row, numbers, categories)
    })
    first.merge(second)
    expect(first.report()).toEqual(whole.report())
    first.reset()
    expect(first.report().rows).toBe(0)
  })

  it('leaves each row’s values in the scratch arrays, typed by the profile', () => {
    const layout = qualityLayout(profile)
    const numbers = new Float64Array(1)
    const categories: Array<string | null> = [null, null]
    const counter = new QualityCounter(layout)
    counter.read({ mass: '4200', island: 'Dream', grade: 3 }, numbers, categories)
    expect([...numbers]).toEqual([4200])
    expect(categories).toEqual(['Dream', '3'])
    counter.read({ mass: 'n/a', island: 7 }, numbers, categories)
    expect(numbers[0]).toBeNaN()
    expect(categories).toEqual([null, null])
  })
})
