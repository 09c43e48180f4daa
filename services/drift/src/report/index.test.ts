import { describe, expect, it } from 'vitest'
import type { Distribution, DriftEvaluation } from '../evaluation/types.ts'
import { penguinsComparison, penguinsEvaluation, penguinsHistory } from './fixture.ts'
import { renderDriftReport } from './index.ts'

const evaluation = await penguinsEvaluation()
const html = renderDriftReport(evaluation)

interface Row {
  feature: string
  /** The cells after the feature's: type, method, statistic, p-value, threshold, drift, quality. */
  cells: string[]
}

function tableRows(doc: string): Row[] {
  return [...doc.matchAll(/<tr data-feature="([^"]*)">([\s\S]*?)<\/tr>/g)].map(
    ([, feature, row]) => ({
      feature: feature as string,
      cells: [...(row as string).matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(
        ([, c]) => c as string,
      ),
    }),
  )
}

function chartCards(doc: string): { feature: string; body: string }[] {
  return [
    ...doc.matchAll(
      /<article class="card feature"[^>]*>\s*<header>\s*<h3>(.*?)<\/h3>([\s\S]*?)<\/article>/g,
    ),
  ].map(([, feature, body]) => ({ feature: feature as string, body: body as string }))
}

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0
const rowOf = (doc: string, feature: string) => tableRows(doc).find((r) => r.feature === feature)
const cardOf = (doc: string, feature: string) => chartCards(doc).find((c) => c.feature === feature)

/** A copy of the evaluation with one feature renamed wherever features are named. */
function renamed(from: string, to: string): DriftEvaluation {
  const rename = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k === from ? to : k, v]))
  return {
    ...evaluation,
    drift: { ...evaluation.drift, features: rename(evaluation.drift.features) },
    quality: { ...evaluation.quality, features: rename(evaluation.quality.features) },
    distributions: rename(evaluation.distributions),
  }
}

describe('renderDriftReport', () => {
  it('is one self-contained document: no scripts, no external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html.trimEnd().endsWith('</html>')).toBe(true)
    expect(html).toContain("content=\"default-src 'none'; style-src 'unsafe-inline'\"")
    for (const forbidden of [/<script/i, /<link/i, /<img/i, /\ssrc=/i, /url\(/i, /@import/i]) {
      expect(html).not.toMatch(forbidden)
    }
    expect(html).not.toMatch(/https?:/)
  })

  it('lists every feature in the table and gives each a chart', () => {
    const features = Object.keys(evaluation.drift.features)
    expect(tableRows(html).map((r) => r.feature)).toEqual(expect.arrayContaining(features))
    expect(tableRows(html)).toHaveLength(features.length)
    expect(
      chartCards(html)
        .map((c) => c.feature)
        .sort(),
    ).toEqual([...features].sort())
  })

  it('puts drifted features first, each group in the evaluation’s order', () => {
    expect(Object.keys(evaluation.drift.features)).toEqual([
      'bill_length_mm',
      'sex',
      'flipper_length_mm',
      'body_mass_g',
      'island',
    ])
    const order = ['flipper_length_mm', 'body_mass_g', 'island', 'bill_length_mm', 'sex']
    expect(tableRows(html).map((r) => r.feature)).toEqual(order)
    expect(chartCards(html).map((c) => c.feature)).toEqual(order)
    expect(tableRows(html).map((r) => r.cells[5])).toEqual([
      ...Array(3).fill('<span class="badge drift">Drift</span>'),
      ...Array(2).fill('<span class="badge ok">No drift</span>'),
    ])
  })

  it('shows the method’s numbers, and "—" for the p-value of a distance', () => {
    expect(rowOf(html, 'body_mass_g')?.cells.slice(0, 5)).toEqual([
      'numerical',
      '<code>wasserstein</code>',
      '0.6774',
      '—',
      '0.1',
    ])
    expect(cardOf(html, 'body_mass_g')?.body).toContain('p-value — ·')
    // KS gives a p-value far below 0.001, chi-square an infinite statistic for an unseen category.
    expect(rowOf(html, 'flipper_length_mm')?.cells.slice(1, 5)).toEqual([
      '<code>ks</code>',
      '0.3144',
      '3.40e-4',
      '0.05',
    ])
    const [statistic, pValue] = rowOf(html, 'island')?.cells.slice(2, 4) ?? []
    expect(statistic).toMatch(/^<span title="A category the reference never had[^"]*">∞ /)
    expect(statistic).toContain('(unseen category)')
    expect(pValue).toBe('0')
  })

  it('states the dataset-drift rule with the configured share and whether this window met it', () => {
    const { drift } = evaluation
    expect(html).toContain(
      `Dataset drift is detected when the share of drifted features is at least <strong>50%</strong>; here ${drift.drifted_columns} of ${drift.number_of_columns} features`,
    )
    const strict = { ...evaluation, drift: { ...drift, drift_share: 0.8, dataset_drift: false } }
    expect(renderDriftReport(strict)).toMatch(/at least <strong>80%<\/strong>;[^<]*rule is not met/)
  })

  it('tabulates each feature’s statistics for reference and current side by side', async () => {
    const { evaluation: compared } = await penguinsComparison()
    const page = renderDriftReport(compared)
    const stats = (feature: string) =>
      Object.fromEntries(
        [
          ...(
            cardOf(page, feature)?.body.match(/<table class="stats">[\s\S]*?<\/table>/)?.[0] ?? ''
          ).matchAll(
            /<tr><th scope="row">([^<]*)<\/th><td class="num">([^<]*)<\/td><td class="num">([^<]*)<\/td><\/tr>/g,
          ),
        ].map(([, label, reference, current]) => [label, [reference, current]]),
      )
    const summary = compared.summaries?.body_mass_g
    if (summary?.type !== 'numerical') throw new Error('body_mass_g is numerical')
    expect(stats('body_mass_g')).toMatchObject({
      Count: [String(summary.reference.count), String(summary.current.count)],
      Max: [String(summary.reference.max), String(summary.current.max)],
    })
    expect(Object.keys(stats('body_mass_g'))).toEqual([
      'Count',
      'Missing',
      'Mean',
      'Std',
      'Min',
      '25%',
      'Median',
      '75%',
      'Max',
    ])
    expect(stats('island')['Top 1']?.[1]).toMatch(/^Biscoe · \d+(\.\d)?%$/)
  })

  it('draws drift over time: the share and each feature’s p-value or statistic per window', async () => {
    const history = await penguinsHistory(6)
    const latest = history.at(-1) as DriftEvaluation
    const page = renderDriftReport(latest, { history })
    const section =
      page.match(/<section aria-labelledby="over-time">[\s\S]*?<\/section>/)?.[0] ?? ''
    expect(section).toContain('last 6 windows')
    const charts = [...section.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map(([, c]) => c)
    expect(charts[0]).toBe('Share of drifted features')
    expect(charts).toContain('flipper_length_mm · p-value')
    expect(charts).toHaveLength(1 + Object.keys(latest.drift.features).length)
    // One point per window, whose tooltip gives that window's share, oldest first.
    const shares = [
      ...(section.split('</figure>')[0] ?? '').matchAll(/: ([\d.]+)% of features drifted/g),
    ].map(([, share]) => Number(share) / 100)
    expect(shares).toEqual(history.map((e) => Number(e.drift.share_drifted.toFixed(3))))
    expect(shares[0]).toBeLessThan(shares.at(-1) as number)
    // One window is no line: no section.
    expect(renderDriftReport(latest, { history: [latest] })).not.toContain('over-time')
  })

  it('shows a corrected p-value beside the raw one', () => {
    const flipper = evaluation.drift.features.flipper_length_mm
    if (!flipper) throw new Error('fixture lacks flipper_length_mm')
    const corrected: DriftEvaluation = {
      ...evaluation,
      drift: {
        ...evaluation.drift,
        features: {
          ...evaluation.drift.features,
          flipper_length_mm: { ...flipper, adjusted_p_value: 0.0017 },
        },
      },
    }
    expect(rowOf(renderDriftReport(corrected), 'flipper_length_mm')?.cells[3]).toBe(
      '3.40e-4 <span class="muted">(adj. 0.0017)</span>',
    )
  })

  it('shows each feature’s data-quality rates over the window', () => {
    // Columns: missing, out of range, unseen category, wrong type. 3 of 54 sexes are missing;
    // 15 of 54 penguins come from Torgersen, which the reference never saw.
    expect(rowOf(html, 'sex')?.cells.slice(6)).toEqual(['5.6%', '0%', '0%', '0%'])
    expect(rowOf(html, 'island')?.cells[8]).toBe('27.8%')
    const withoutQuality = { ...evaluation, quality: { ...evaluation.quality, features: {} } }
    expect(rowOf(renderDriftReport(withoutQuality), 'sex')?.cells.slice(6)).toEqual(
      Array(4).fill('—'),
    )
  })

  it('draws one SVG per feature with a reference and a current bar per bin or category', () => {
    for (const { feature, body } of chartCards(html)) {
      const distribution = evaluation.distributions[feature] as Distribution
      const groups =
        distribution.type === 'numerical'
          ? distribution.edges.length - 1
          : distribution.categories.length
      expect(groups).toBeGreaterThan(1)
      expect(count(body, /<svg /g)).toBe(1)
      expect(count(body, /data-series="reference"/g)).toBe(groups)
      expect(count(body, /data-series="current"/g)).toBe(groups)
      expect(body).toContain(`<title id="feature-`)
      expect(body).toMatch(/>Reference<\/text>[\s\S]*>Current<\/text>/)
    }
  })

  it('draws bars as tall as their shares', () => {
    const body = cardOf(html, 'island')?.body ?? ''
    const heights = [...body.matchAll(/data-series="(\w+)"[^>]* height="([\d.]+)"/g)].map(
      ([, series, height]) => [series, Number(height)] as const,
    )
    const island = evaluation.distributions.island
    if (island?.type !== 'categorical') throw new Error('island is categorical')
    const shares = island.categories.flatMap((_, i) => [island.reference[i], island.current[i]])
    expect(heights.map(([series]) => series)).toEqual(
      island.categories.flatMap(() => ['reference', 'current']),
    )
    // One scale for both series: height / share is the same for every bar with a share.
    const scales = heights.flatMap(([, h], i) => (shares[i] ? [h / (shares[i] as number)] : []))
    for (const scale of scales) expect(scale).toBeCloseTo(scales[0] as number, 1)
    // Torgersen: reference never saw it.
    expect(heights[island.categories.indexOf('Torgersen') * 2]?.[1]).toBe(0)
  })

  const labels = (page: string, feature: string) =>
    [...(cardOf(page, feature)?.body ?? '').matchAll(/<g class="x-labels">(.*?)<\/g>/g)]
      .flatMap(([, g]) => [...(g as string).matchAll(/>([^<>]+)<\/text>/g)])
      .map(([, text]) => text)

  it('labels the x axis with round values in 1-2-5 steps for numbers, and with the categories', () => {
    const flipper = evaluation.distributions.flipper_length_mm
    if (flipper?.type !== 'numerical') throw new Error('flipper_length_mm is numerical')
    const values = labels(html, 'flipper_length_mm').map(Number)
    expect(values.length).toBeGreaterThanOrEqual(3)
    const step = (values[1] as number) - (values[0] as number)
    expect(values.every((v, i) => i === 0 || v - (values[i - 1] as number) === step)).toBe(true)
    const mantissa = step / 10 ** Math.floor(Math.log10(step))
    expect([1, 2, 5]).toContain(mantissa)
    expect(values.every((v) => Number.isInteger(v / step))).toBe(true)
    expect(values[0]).toBeGreaterThanOrEqual(flipper.edges[0] as number)
    expect(values.at(-1)).toBeLessThanOrEqual(flipper.edges.at(-1) as number)
    expect(labels(html, 'island')).toEqual(['Biscoe', 'Dream', 'Torgersen'])
  })

  it('places round labels within the bins of older evaluations, whose edges are not round', () => {
    const sturges = {
      ...evaluation,
      distributions: {
        ...evaluation.distributions,
        body_mass_g: {
          type: 'numerical',
          edges: [2713.4, 3158.9, 3604.4, 4049.9],
          reference: [0.2, 0.5, 0.3],
          current: [0.1, 0.4, 0.5],
        },
      },
    } satisfies DriftEvaluation
    expect(labels(renderDriftReport(sturges), 'body_mass_g')).toEqual([
      '2800',
      '3000',
      '3200',
      '3400',
      '3600',
      '3800',
      '4000',
    ])
  })

  it('turns and shortens the labels of many categories, keeping the full name as a tooltip', () => {
    const long = 'a-very-long-category-name'
    const categories = [long, ...Array.from({ length: 19 }, (_, i) => `c${i}`)]
    const shares = categories.map(() => 1 / categories.length)
    const many = {
      ...evaluation,
      distributions: {
        ...evaluation.distributions,
        island: { type: 'categorical', categories, reference: shares, current: shares },
      },
    } satisfies DriftEvaluation
    const body = cardOf(renderDriftReport(many), 'island')?.body ?? ''
    expect(count(body, /data-series="current"/g)).toBe(20)
    expect(count(body, /transform="rotate\(-35 /g)).toBe(20)
    expect(body).toContain(`<title>${long}</title>a-very-long-c…</text>`)
  })

  it('says so when a feature has no recorded distribution', () => {
    const { island: _, ...rest } = evaluation.distributions
    const body = cardOf(renderDriftReport({ ...evaluation, distributions: rest }), 'island')?.body
    expect(body).toContain('No distribution was recorded')
    expect(body).not.toContain('<svg')
  })

  it('summarises the window, the reference and the dataset decision', () => {
    expect(html).toMatch(/Dataset drift<\/div>\s*<div class="value">Detected</)
    expect(html).toMatch(/Share of drifted features<\/div>\s*<div class="value">60%</)
    expect(html).toContain('3 of 5 features drifted')
    expect(html).toContain('54 <span class="unit">rows')
    expect(html).toContain('190 <span class="unit">rows')
    expect(html).toContain(
      '<time datetime="2025-06-02T08:00:00.000Z">2025-06-02 08:00:00 UTC</time>',
    )
    expect(html).toContain('Model <strong>penguin-species</strong> · version <strong>3</strong>')
    const calm = renderDriftReport({
      ...evaluation,
      drift: { ...evaluation.drift, dataset_drift: false },
    })
    expect(calm).toMatch(/Dataset drift<\/div>\s*<div class="value">Not detected</)
  })

  it('lists the warnings, and features missing from or unknown to the reference', () => {
    expect(count(html, /<li>column &#39;\w+&#39;: \w+ p-value on an effective sample/g)).toBe(4)
    expect(html).not.toContain("Features the window's rows lacked")
    const gaps = renderDriftReport({
      ...evaluation,
      drift: { ...evaluation.drift, warnings: [] },
      quality: { ...evaluation.quality, missing_features: ['beak'], unknown_features: ['tag'] },
    })
    expect(gaps).toContain("<li>Features the window's rows lacked entirely: <code>beak</code></li>")
    expect(gaps).toContain('<li>Fields the reference does not know: <code>tag</code></li>')
    const none = renderDriftReport({ ...evaluation, drift: { ...evaluation.drift, warnings: [] } })
    expect(none).not.toContain('Warnings')
  })

  it('shows the performance metrics of the task, or no performance block without labels', () => {
    expect(html).toMatch(/Accuracy<\/div>\s*<div class="value">0.934</)
    expect(html).toMatch(/F1 \(macro\)<\/div>\s*<div class="value">0.871</)
    expect(html).toContain('75.9% of the window')
    const regression = renderDriftReport({
      ...evaluation,
      performance: { task: 'regression', labelled_rows: 20, mae: 12.5, rmse: 17.25 },
    })
    expect(regression).toMatch(/MAE<\/div>\s*<div class="value">12.5</)
    expect(regression).toMatch(/RMSE<\/div>\s*<div class="value">17.25</)
    expect(regression).not.toContain('Accuracy')
    const { performance: _, ...unlabelled } = evaluation
    expect(renderDriftReport(unlabelled)).not.toContain('Model performance')
  })

  it('escapes every string that comes from the data', () => {
    const name = '<script>alert(1)</script>'
    const hostile = renamed('island', name)
    const island = hostile.distributions[name]
    if (island?.type !== 'categorical') throw new Error('island is categorical')
    const doc = renderDriftReport(
      {
        ...hostile,
        model: '<b>model</b>',
        version: '"v&2\'',
        window: { ...hostile.window, id: '<i>window</i>' },
        distributions: {
          ...hostile.distributions,
          [name]: {
            ...island,
            categories: ['"><img src=x onerror=alert(2)>', ...island.categories.slice(1)],
          },
        },
        drift: { ...hostile.drift, warnings: ['<style>body{display:none}</style>'] },
        quality: { ...hostile.quality, missing_features: ['<u>x</u>'] },
      },
      { title: '<h2>title</h2>' },
    )
    for (const tag of ['<script', '<b>', '<i>', '<u>', '<img', '<h2>title', '<style>body']) {
      expect(doc).not.toContain(tag)
    }
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;'
    expect(tableRows(doc).map((r) => r.feature)).toContain(escaped)
    expect(cardOf(doc, escaped)?.body).toContain(`Distribution of ${escaped}: reference vs current`)
    expect(doc).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;')
    expect(doc).toContain('version <strong>&quot;v&amp;2&#39;</strong>')
    expect(doc).toContain('<title>&lt;h2&gt;title&lt;/h2&gt;</title>')
  })
})
