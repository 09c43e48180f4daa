import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../testing/tools/index.ts'
import { ks2samp } from '../stats/index.ts'
import { python, random, relativeError } from '../stats/testing/index.ts'
import { autoMethod, DriftInputError, detectDrift, inferType, type Table } from './index.ts'

const seq = (n: number, f: (i: number) => number | string) =>
  Array.from({ length: n }, (_, i) => f(i))
const normals = (seed: number, n: number, mean = 0) => [...random(seed).normals(n, mean)]

describe('inferType', () => {
  it('makes any column holding a string categorical', () => {
    expect(inferType([1.5, 2.5, 'x'], [3.5])).toBe('categorical')
  })

  it('makes integer columns with at most 5 distinct reference values categorical', () => {
    expect(inferType([0, 1, 2, 3, 4, 4], [7, 8, 9])).toBe('categorical')
    expect(inferType([0, 1, 2, 3, 4, 5], [1])).toBe('numerical')
    expect(inferType([0, 1, 0.5], [1])).toBe('numerical')
  })

  it('ignores missing values, and counts the current values when the reference has none', () => {
    expect(inferType([null, Number.NaN, 1, 2], [Number.POSITIVE_INFINITY])).toBe('categorical')
    expect(inferType([null], [1, 2, 3, 4, 5, 6])).toBe('numerical')
  })
})

describe('autoMethod', () => {
  const many = (n: number) => Float64Array.from({ length: n }, (_, i) => i / 7)

  it('up to 1000 reference rows: KS for continuous, chi-square or z for discrete data', () => {
    expect(autoMethod('numerical', many(1000), many(5))).toBe('ks')
    expect(autoMethod('numerical', Float64Array.of(0.5, 1.5, 2.5), Float64Array.of(0.5))).toBe(
      'chisquare',
    )
    expect(autoMethod('numerical', Float64Array.of(0.5, 1.5), Float64Array.of(0.5))).toBe('ztest')
    expect(autoMethod('categorical', ['a', 'b', 'c'], ['a'])).toBe('chisquare')
    expect(autoMethod('categorical', ['a', 'b'], ['b'])).toBe('ztest')
  })

  it('counts distinct values over both samples together', () => {
    expect(
      autoMethod('numerical', Float64Array.of(1.5, 2.5, 3.5), Float64Array.of(4.5, 5.5, 6.5)),
    ).toBe('ks')
  })

  it('above 1000 reference rows: normed Wasserstein, else Jensen–Shannon', () => {
    expect(autoMethod('numerical', many(1001), many(5))).toBe('wasserstein')
    expect(autoMethod('numerical', new Float64Array(1001).fill(0.5), Float64Array.of(1.5))).toBe(
      'jensenshannon',
    )
    expect(autoMethod('categorical', seq(1001, (i) => `c${i}`) as string[], ['x'])).toBe(
      'jensenshannon',
    )
  })
})

describe('detectDrift', () => {
  const reference: Table = {
    x: normals(1, 300),
    label: seq(300, (i) => (i % 3 === 0 ? 'a' : 'b')),
  }

  it('reports each column and the dataset', () => {
    const current: Table = {
      x: normals(2, 200, 1),
      label: seq(200, (i) => (i % 3 === 0 ? 'a' : 'b')),
    }
    const report = detectDrift(reference, current)
    expect(report.features.x).toMatchObject({
      type: 'numerical',
      method: 'ks',
      threshold: 0.05,
      drifted: true,
    })
    expect(report.features.label).toMatchObject({
      type: 'categorical',
      method: 'ztest',
      drifted: false,
    })
    expect(report.features.x?.statistic).toBe(
      ks2samp(reference.x as number[], current.x as number[]).statistic,
    )
    expect(report).toMatchObject({
      dataset_drift: true,
      share_drifted: 0.5,
      drifted_columns: 1,
      number_of_columns: 2,
      warnings: [],
    })
  })

  it('drops null, NaN and ±Infinity before testing', () => {
    const current: Table = { x: normals(3, 100) }
    const clean = detectDrift({ x: reference.x as number[] }, current)
    const dirty = detectDrift(
      { x: [null, ...(reference.x as number[]), Number.NaN, Number.NEGATIVE_INFINITY] },
      { x: [...(current.x as number[]), Number.POSITIVE_INFINITY, null] },
    )
    expect(dirty.features).toEqual(clean.features)
  })

  it('applies each method’s rule at its threshold: KS p ≤ t, chi-square p < t, distances ≥ t', () => {
    const current: Table = {
      x: normals(4, 300, 0.2),
      label: seq(250, (i) => (i % 2 === 0 ? 'a' : 'c')),
    }
    const base = detectDrift(reference, current, { methods: { label: 'chisquare' } })
    const ks = base.features.x?.p_value as number
    const chi = base.features.label?.p_value as number
    const atThresholds = detectDrift(reference, current, {
      methods: { label: 'chisquare' },
      thresholds: { x: ks, label: chi },
    })
    expect(atThresholds.features.x?.drifted).toBe(true)
    expect(atThresholds.features.label?.drifted).toBe(false)
    const distance = detectDrift(reference, current, { methods: { x: 'wasserstein' } }).features.x
    const atDistance = detectDrift(reference, current, {
      methods: { x: 'wasserstein' },
      thresholds: { x: distance?.statistic as number },
    })
    expect(atDistance.features.x).toMatchObject({ p_value: null, drifted: true })
  })

  it('takes type, method and threshold overrides by column name', () => {
    const report = detectDrift(
      reference,
      { x: normals(5, 300), label: ['a', 'b'] },
      {
        types: { x: 'numerical' },
        methods: { x: 'psi', label: 'jensenshannon' },
        thresholds: { x: 0.2 },
      },
    )
    expect(report.features.x).toMatchObject({ method: 'psi', threshold: 0.2, p_value: null })
    expect(report.features.label).toMatchObject({ method: 'jensenshannon', threshold: 0.1 })
  })

  it('treats a category unseen in the reference as drift', () => {
    const report = detectDrift({ c: ['a', 'b', 'c', 'a'] }, { c: ['a', 'b', 'c', 'new'] })
    expect(report.features.c).toMatchObject({
      method: 'chisquare',
      statistic: Number.POSITIVE_INFINITY,
      p_value: 0,
      drifted: true,
    })
  })

  it('names the column when a method does not fit its type', () => {
    expect(() => detectDrift(reference, reference, { methods: { label: 'ks' } })).toThrow(
      new DriftInputError("column 'label' is categorical: method 'ks' does not apply"),
    )
    expect(() => detectDrift(reference, reference, { methods: { label: 'wasserstein' } })).toThrow(
      /'label'/,
    )
  })

  it('names the column for missing, empty and mistyped columns and bad options', () => {
    expect(() => detectDrift(reference, { x: [1] })).toThrow(
      "column 'label' is not in the current data",
    )
    expect(() => detectDrift({ x: [null, Number.NaN] }, { x: [1] })).toThrow(
      "column 'x' has no values in the reference data",
    )
    expect(() =>
      detectDrift({ x: [1, 2] }, { x: [1, 'two'] }, { types: { x: 'numerical' } }),
    ).toThrow(/column 'x' is numerical but the current data holds "two"/)
    expect(() => detectDrift(reference, reference, { methods: { x: 'magic' as 'ks' } })).toThrow(
      /column 'x': unknown method 'magic'/,
    )
    expect(() => detectDrift({}, {})).toThrow(DriftInputError)
  })

  it('takes any string as a column name, including Object.prototype’s', () => {
    const table: Table = JSON.parse('{"constructor": [1, 2, 3], "__proto__": ["a", "b"]}')
    const report = detectDrift(table, table, { thresholds: { toString: 0.5 } })
    expect(Object.keys(report.features)).toEqual(['constructor', '__proto__'])
    expect(report.features.constructor).toMatchObject({ method: 'chisquare', threshold: 0.05 })
    expect(() => detectDrift(table, { constructor: [1] })).toThrow(
      "column '__proto__' is not in the current data",
    )
  })

  it('decides dataset drift at share ≥ driftShare', () => {
    const current: Table = { x: normals(6, 300, 1), label: reference.label as string[] }
    expect(detectDrift(reference, current).dataset_drift).toBe(true)
    expect(detectDrift(reference, current, { driftShare: 0.51 }).dataset_drift).toBe(false)
  })

  it('corrects the p-values of p-value tests only, and decides on the corrected ones', () => {
    // Five mildly shifted columns (KS p from 0.004 to 0.4) and one distance column.
    const shifted = (seed: number) => normals(seed, 200, 0.25)
    const ref: Table = { w: normals(99, 2000) }
    const cur: Table = { w: normals(98, 2000, 0.5) }
    for (let k = 0; k < 5; k++) {
      ref[`c${k}`] = normals(10 + k, 200)
      cur[`c${k}`] = shifted(20 + k)
    }
    const raw = detectDrift(ref, cur)
    const pValues = Object.values(raw.features)
      .map((f) => f.p_value)
      .filter((p): p is number => p !== null)
    expect(pValues).toHaveLength(5)
    const bonferroni = detectDrift(ref, cur, { correction: 'bonferroni' })
    for (let k = 0; k < 5; k++) {
      const feature = bonferroni.features[`c${k}`]
      expect(feature?.adjusted_p_value).toBeCloseTo(
        Math.min(1, (feature?.p_value as number) * 5),
        15,
      )
      expect(feature?.drifted).toBe((feature?.adjusted_p_value as number) <= 0.05)
    }
    expect(bonferroni.features.w).toEqual(raw.features.w)
    // c1 (p ≈ 0.012) drifts alone but not once multiplied by 5; BH (0.012 · 5/3) keeps it.
    expect(raw.features.c1?.drifted).toBe(true)
    expect(bonferroni.features.c1?.drifted).toBe(false)
    const bh = detectDrift(ref, cur, { correction: 'benjamini-hochberg' })
    expect(bh.features.c1?.adjusted_p_value).toBeCloseTo(
      (raw.features.c1?.p_value as number) * (5 / 3),
      15,
    )
    expect(bh.drifted_columns).toBe(raw.drifted_columns)
  })

  it('warns when a p-value test runs on a large sample, and not for distances', () => {
    const big: Table = { x: normals(7, 5000), y: normals(8, 5000) }
    const bigCurrent: Table = { x: normals(9, 5000), y: normals(10, 5000) }
    expect(detectDrift(big, bigCurrent).warnings).toEqual([])
    const forced = detectDrift(big, bigCurrent, { methods: { x: 'ks' } })
    expect(forced.warnings).toHaveLength(1)
    expect(forced.warnings[0]).toMatch(/column 'x': ks p-value on an effective sample of 2500 rows/)
    expect(
      detectDrift(big, bigCurrent, { methods: { x: 'ks' }, largeSample: 5000 }).warnings,
    ).toEqual([])
  })
})

// Seattle daily weather 2012–2015 (vega-datasets): date, precipitation, temp_max, temp_min, wind, weather.
const CSV = fileURLToPath(
  new URL('../../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url),
)
const [header, ...lines] = readFileSync(CSV, 'utf8').trim().split('\n')
const names = (header as string).split(',')
const rows = lines.map((line) => line.split(','))
const toTable = (selected: string[][]): Table =>
  Object.fromEntries(
    names.map((name, c) => [
      name,
      selected.map((row) => {
        const text = row[c] as string
        return name === 'date' || name === 'weather' ? text : Number(text)
      }),
    ]),
  )
const month = (row: string[]) => Number((row[0] as string).slice(5, 7))
const year = (row: string[]) => (row[0] as string).slice(0, 4)
const WEATHER_COLUMNS = ['precipitation', 'temp_max', 'temp_min', 'wind', 'weather']

describe('detectDrift on Seattle weather', () => {
  const days2012 = rows.filter((row) => year(row) === '2012')
  const winter = toTable(rows.filter((row) => [12, 1, 2].includes(month(row))))
  const summer = toTable(rows.filter((row) => [6, 7, 8].includes(month(row))))

  it('finds no drift between alternate days of 2012', () => {
    const even = toTable(days2012.filter((_, i) => i % 2 === 0))
    const odd = toTable(days2012.filter((_, i) => i % 2 === 1))
    const report = detectDrift(even, odd, { columns: WEATHER_COLUMNS })
    expect(report.drifted_columns).toBe(0)
    expect(report.dataset_drift).toBe(false)
    expect(report.features.temp_max?.method).toBe('ks')
    expect(report.features.weather).toMatchObject({ type: 'categorical', method: 'chisquare' })
  })

  it('finds winter and summer temperatures drifted', () => {
    const report = detectDrift(winter, summer, { columns: WEATHER_COLUMNS })
    expect(report.features.temp_max).toMatchObject({ method: 'ks', drifted: true })
    expect(report.features.temp_max?.statistic).toBeGreaterThan(0.9)
    expect(report.dataset_drift).toBe(true)
  })

  it('the date column, unique per day, is a categorical that always drifts', () => {
    const report = detectDrift(winter, summer, { columns: ['date'] })
    expect(report.features.date).toMatchObject({ type: 'categorical', drifted: true })
  })

  describeWith(installed('scipy'), 'against scipy and Evidently’s formulas', () => {
    const firstYears = toTable(rows.filter((row) => year(row) <= '2014'))
    const lastYear = toTable(rows.filter((row) => year(row) === '2015'))
    const seasons = detectDrift(winter, summer, { columns: WEATHER_COLUMNS })
    // Over 1000 reference rows: distances.
    const years = detectDrift(firstYears, lastYear, { columns: WEATHER_COLUMNS })
    const expected = python<{ ks: [number, number]; wasserstein: number; js: number }>(
      `from collections import Counter
w, s, a, b = data["winter"], data["summer"], data["first"], data["last"]
ref, cur = data["weather_first"], data["weather_last"]
keys = list(set(ref) | set(cur))
rc, cc = Counter(ref), Counter(cur)
result = {
    "ks": list(stats.ks_2samp(w, s)[:2]),
    "wasserstein": stats.wasserstein_distance(a, b) / max(float(np.std(a)), 0.001),
    "js": spatial.distance.jensenshannon([rc[k] / len(ref) for k in keys],
                                         [cc[k] / len(cur) for k in keys]),
}`,
      {
        winter: winter.temp_max,
        summer: summer.temp_max,
        first: firstYears.temp_max,
        last: lastYear.temp_max,
        weather_first: firstYears.weather,
        weather_last: lastYear.weather,
      },
    )

    it('KS on winter vs summer temp_max equals scipy.stats.ks_2samp', () => {
      const [statistic, pValue] = expected().ks
      expect(seasons.features.temp_max?.statistic).toBeCloseTo(statistic, 14)
      expect(relativeError(seasons.features.temp_max?.p_value as number, pValue)).toBeLessThan(1e-9)
    })

    it('2012–2014 vs 2015 uses normed Wasserstein and Jensen–Shannon with Evidently’s values', () => {
      expect(years.features.temp_max?.method).toBe('wasserstein')
      expect(
        relativeError(years.features.temp_max?.statistic as number, expected().wasserstein),
      ).toBeLessThan(1e-10)
      expect(years.features.weather?.method).toBe('jensenshannon')
      expect(
        relativeError(years.features.weather?.statistic as number, expected().js),
      ).toBeLessThan(1e-12)
    })
  })
})

describe("detectDrift with Evidently's fisher_exact, g_test, hellinger, empirical_mmd and TVD", () => {
  const reference: Table = {
    flag: seq(200, (i) => (i % 4 === 0 ? 'yes' : 'no')),
    label: seq(300, (i) => 'abc'[i % 3] as string),
    x: normals(7, 200),
  }
  const current: Table = {
    flag: seq(200, (i) => (i % 2 === 0 ? 'yes' : 'no')),
    label: seq(240, (i) => 'abcc'[i % 4] as string),
    x: normals(8, 150, 1),
  }

  it("applies Evidently's defaults: p < 0.1 for the tests, ≥ 0.1 for Hellinger", () => {
    const tests = detectDrift(reference, current, {
      methods: { flag: 'fisher_exact', label: 'TVD', x: 'empirical_mmd' },
    })
    for (const column of ['flag', 'label', 'x']) {
      expect(tests.features[column]).toMatchObject({ threshold: 0.1, drifted: true })
      expect(tests.features[column]?.p_value).toBeLessThan(0.1)
    }
    const others = detectDrift(reference, current, {
      methods: { flag: 'g_test', label: 'hellinger', x: 'hellinger' },
    })
    expect(others.features.flag).toMatchObject({ method: 'g_test', drifted: true })
    expect(others.features.label).toMatchObject({ method: 'hellinger', p_value: null })
    expect(others.features.x?.statistic).toBeGreaterThanOrEqual(0.1)
  })

  it('names the column when fisher_exact meets more than two categories', () => {
    expect(() => detectDrift(reference, current, { methods: { label: 'fisher_exact' } })).toThrow(
      new DriftInputError(
        "column 'label': fisher_exact needs a binary column, but the samples hold 3 categories",
      ),
    )
  })

  it('keeps categorical-only tests off numerical columns and the MMD off categorical ones', () => {
    expect(() => detectDrift(reference, current, { methods: { x: 'g_test' } })).toThrow(
      /'x' is numerical: method 'g_test'/,
    )
    expect(() => detectDrift(reference, current, { methods: { label: 'empirical_mmd' } })).toThrow(
      /'label' is categorical: method 'empirical_mmd'/,
    )
  })
})
