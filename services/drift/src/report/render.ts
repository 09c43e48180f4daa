/** The drift report document: summary, warnings, performance, feature table and charts. */
import type { FeatureDrift } from '../detect/index.ts'
import type { EmbeddingDrift } from '../embeddings/index.ts'
import type {
  DriftEvaluation,
  FeatureQuality,
  FeatureSummary,
  PerformanceReport,
} from '../evaluation/types.ts'
import { distributionChart } from './chart.ts'
import {
  escapeHtml,
  formatCount,
  formatNumber,
  formatPercent,
  formatTimestamp,
  NONE,
} from './format.ts'
import { STYLE } from './style.ts'
import { timeline } from './timeline.ts'

export interface ReportOptions {
  /** The document's heading and `<title>`; "Data drift report" by default. */
  title?: string
  /**
   * The model's recent evaluations, any order, for the drift-over-time charts (the last
   * MAX_TIMELINE_WINDOWS are drawn; fewer than two, none).
   */
  history?: readonly DriftEvaluation[]
}

interface FeatureRow {
  name: string
  /** Names the feature's chart and its table link: feature names may hold any character. */
  anchor: string
  drift: FeatureDrift
  quality: FeatureQuality | undefined
}

/**
 * A complete HTML document for one evaluation, as Evidently's data drift report lays it out:
 * self-contained (inline CSS and SVG, no scripts, nothing fetched), every string from the data
 * escaped. Drifted features come first, each group in the evaluation's order.
 */
export function renderDriftReport(
  evaluation: DriftEvaluation,
  options: ReportOptions = {},
): string {
  const title = options.title ?? 'Data drift report'
  const rows = featureRows(evaluation)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${header(evaluation, title)}
${summary(evaluation)}
${rule(evaluation)}
${warnings(evaluation)}
${evaluation.performance ? performance(evaluation.performance, evaluation.window.rows) : ''}
${featureTable(rows)}
${embeddingTable(evaluation.drift.embeddings)}
${timeline(options.history ?? [])}
${charts(rows, evaluation)}
${evaluation.files ? '' : `<footer>Window <code>${escapeHtml(evaluation.window.id)}</code></footer>`}
</main>
</body>
</html>
`
}

function featureRows(evaluation: DriftEvaluation): FeatureRow[] {
  const entries = Object.entries(evaluation.drift.features)
  // Array.prototype.sort is stable: each group keeps the evaluation's order.
  entries.sort(([, a], [, b]) => Number(b.drifted) - Number(a.drifted))
  return entries.map(([name, drift], i) => ({
    name,
    anchor: `feature-${i}`,
    drift,
    quality: own(evaluation.quality.features, name),
  }))
}

/** record[key] if the record itself has it: a feature named 'constructor' is not Object's. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}

function header(evaluation: DriftEvaluation, title: string): string {
  const { files } = evaluation
  if (files) {
    return `<header>
<h1>${escapeHtml(title)}</h1>
<p class="subtitle">Reference file <strong>${escapeHtml(files.reference.name)}</strong> (${formatCount(files.reference.rows)} rows) vs current file <strong>${escapeHtml(files.current.name)}</strong> (${formatCount(files.current.rows)} rows) · compared ${timestamp(evaluation.evaluated_at)}</p>
</header>`
  }
  return `<header>
<h1>${escapeHtml(title)}</h1>
<p class="subtitle">Model <strong>${escapeHtml(evaluation.model)}</strong>${evaluation.version ? ` · version <strong>${escapeHtml(evaluation.version)}</strong>` : ''} · evaluated ${timestamp(evaluation.evaluated_at)}</p>
</header>`
}

function summary(evaluation: DriftEvaluation): string {
  const { drift } = evaluation
  return `<section class="summary" aria-label="Summary">
<div class="card metric verdict ${drift.dataset_drift ? 'drift' : 'ok'}">
<div class="label">Dataset drift</div>
<div class="value">${drift.dataset_drift ? 'Detected' : 'Not detected'}</div>
<div class="note">${drift.drifted_columns} of ${drift.number_of_columns} features drifted</div>
</div>
<div class="card metric">
<div class="label">Share of drifted features</div>
<div class="value">${formatPercent(drift.share_drifted)}</div>
<div class="meter"><span style="width: ${formatPercent(drift.share_drifted)}"></span></div>
</div>
${evaluation.files ? fileCards(evaluation.files) : windowCards(evaluation)}
</section>`
}

function windowCards({ window, reference_rows, version }: DriftEvaluation): string {
  return `<div class="card metric">
<div class="label">Current window · ${escapeHtml(window.kind)}</div>
<div class="value">${formatCount(window.rows)} <span class="unit">rows</span></div>
<div class="note">from ${timestamp(window.start)}<br>to ${timestamp(window.end)}</div>
</div>
<div class="card metric">
<div class="label">Reference</div>
<div class="value">${formatCount(reference_rows)} <span class="unit">rows</span></div>
${version ? `<div class="note">version ${escapeHtml(version)}</div>` : ''}
</div>`
}

function fileCards(files: NonNullable<DriftEvaluation['files']>): string {
  const card = (label: string, file: { name: string; rows: number }) => `<div class="card metric">
<div class="label">${label}</div>
<div class="value">${formatCount(file.rows)} <span class="unit">rows</span></div>
<div class="note"><code>${escapeHtml(file.name)}</code></div>
</div>`
  return card('Current file', files.current) + card('Reference file', files.reference)
}

/** The dataset-level rule in words; evaluations stored before it was recorded say nothing. */
function rule({ drift }: DriftEvaluation): string {
  if (typeof drift.drift_share !== 'number') return ''
  const met = drift.dataset_drift ? 'met' : 'not met'
  return `<p class="rule">Dataset drift is detected when the share of drifted features is at least <strong>${formatPercent(drift.drift_share)}</strong>; here ${drift.drifted_columns} of ${drift.number_of_columns} features (${formatPercent(drift.share_drifted)}) drifted, so the rule is ${met}. A feature drifts when its p-value falls below its threshold (distances: when the statistic reaches it).</p>`
}

function timestamp(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(formatTimestamp(iso))}</time>`
}

function warnings(evaluation: DriftEvaluation): string {
  const { missing_features, unknown_features } = evaluation.quality
  const names = (list: string[]) => list.map((n) => `<code>${escapeHtml(n)}</code>`).join(', ')
  const items = evaluation.drift.warnings.map(escapeHtml)
  if (missing_features.length > 0) {
    items.push(`Features the window's rows lacked entirely: ${names(missing_features)}`)
  }
  if (unknown_features.length > 0) {
    items.push(`Fields the reference does not know: ${names(unknown_features)}`)
  }
  if (items.length === 0) return ''
  return `<section class="card warnings" aria-label="Warnings">
<h2>Warnings</h2>
<ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>
</section>`
}

function performance(report: PerformanceReport, windowRows: number): string {
  const metrics: [string, number | undefined][] =
    report.task === 'classification'
      ? [
          ['Accuracy', report.accuracy],
          ['F1 (macro)', report.macro_f1],
        ]
      : [
          ['MAE', report.mae],
          ['RMSE', report.rmse],
        ]
  const labelled =
    windowRows > 0 ? ` · ${formatPercent(report.labelled_rows / windowRows)} of the window` : ''
  const cards = metrics.map(
    ([label, value]) => `<div class="card metric">
<div class="label">${label}</div>
<div class="value">${value === undefined ? NONE : formatNumber(value)}</div>
</div>`,
  )
  return `<section aria-labelledby="performance">
<h2 id="performance">Model performance <span class="muted">(${escapeHtml(report.task)}, over labelled rows)</span></h2>
<div class="summary">${cards.join('')}
<div class="card metric">
<div class="label">Labelled rows</div>
<div class="value">${formatCount(report.labelled_rows)}</div>
<div class="note">labels joined by request id${labelled}</div>
</div>
</div>
</section>`
}

/** Vector columns, each tested whole; they take no part in the dataset's share. */
function embeddingTable(embeddings: Record<string, EmbeddingDrift> | undefined): string {
  const entries = Object.entries(embeddings ?? {})
  if (entries.length === 0) return ''
  const body = entries.map(
    ([name, drift]) => `<tr data-embedding="${escapeHtml(name)}">
<th scope="row">${escapeHtml(name)}</th>
<td class="num">${formatCount(drift.dimension)}</td>
<td><code>${escapeHtml(drift.method)}</code></td>
<td class="num">${formatNumber(drift.statistic)}</td>
<td class="num">${drift.p_value === null ? NONE : formatNumber(drift.p_value)}</td>
<td class="num">${formatNumber(drift.threshold)}${drift.bootstrap ? ' (bootstrap)' : ''}</td>
<td>${badge(drift.drifted)}</td>
</tr>`,
  )
  const head = `<tr>
<th scope="col">Column</th><th scope="col" class="num">Dimension</th><th scope="col">Method</th>
<th scope="col" class="num">Score</th><th scope="col" class="num">p-value</th>
<th scope="col" class="num">Threshold</th><th scope="col">Drift</th>
</tr>`
  return tableSection('embeddings', 'Embeddings', head, body)
}

/** A titled section holding one table card. */
function tableSection(id: string, title: string, head: string, body: string[]): string {
  return `<section aria-labelledby="${id}">
<h2 id="${id}">${title}</h2>
<div class="card table">
<table>
<thead>
${head}
</thead>
<tbody>
${body.join('\n')}
</tbody>
</table>
</div>
</section>`
}

function featureTable(rows: FeatureRow[]): string {
  const body = rows.map(({ name, anchor, drift, quality }) => {
    const rate = (value: number | undefined) =>
      value === undefined
        ? `<td class="num muted">${NONE}</td>`
        : `<td class="num${value === 0 ? ' muted' : ' flagged'}">${formatPercent(value)}</td>`
    return `<tr data-feature="${escapeHtml(name)}">
<th scope="row"><a href="#${anchor}">${escapeHtml(name)}</a></th>
<td>${escapeHtml(drift.type)}</td>
<td><code>${escapeHtml(drift.method)}</code></td>
<td class="num">${statistic(drift)}</td>
<td class="num">${pValue(drift)}</td>
<td class="num">${formatNumber(drift.threshold)}</td>
<td>${badge(drift.drifted)}</td>
${rate(quality?.missing_rate)}${rate(quality?.out_of_range_rate)}${rate(quality?.unseen_category_rate)}${rate(quality?.wrong_type_rate)}
</tr>`
  })
  const head = `<tr class="groups"><th colspan="7">Drift</th><th colspan="4" class="num">Data quality · share of window rows</th></tr>
<tr>
<th scope="col">Feature</th><th scope="col">Type</th><th scope="col">Method</th>
<th scope="col" class="num">Statistic</th><th scope="col" class="num">p-value</th>
<th scope="col" class="num">Threshold</th><th scope="col">Drift</th>
<th scope="col" class="num">Missing</th><th scope="col" class="num">Out of range</th>
<th scope="col" class="num">Unseen category</th><th scope="col" class="num">Wrong type</th>
</tr>`
  return tableSection('features', 'Features', head, body)
}

/** The statistic; an infinite one says why (the warnings name the categories). */
function statistic(drift: FeatureDrift): string {
  if (drift.statistic !== Number.POSITIVE_INFINITY) return formatNumber(drift.statistic)
  return `<span title="${INFINITE}">∞ <span class="muted">(unseen category)</span></span>`
}

const INFINITE =
  'A category the reference never had is expected 0 times, so the chi-square statistic is infinite and the p-value 0: see the warnings'

/** The p-value, with the corrected one the decision used when there is one; distances have none. */
function pValue(drift: FeatureDrift): string {
  if (drift.p_value === null) return NONE
  const adjusted =
    drift.adjusted_p_value === undefined
      ? ''
      : ` <span class="muted">(adj. ${formatNumber(drift.adjusted_p_value)})</span>`
  return formatNumber(drift.p_value) + adjusted
}

function badge(drifted: boolean): string {
  return drifted
    ? '<span class="badge drift">Drift</span>'
    : '<span class="badge ok">No drift</span>'
}

function charts(rows: FeatureRow[], evaluation: DriftEvaluation): string {
  const cards = rows.map(({ name, anchor, drift }) => {
    const distribution = own(evaluation.distributions, name)
    const chart = distribution
      ? distributionChart(anchor, name, distribution)
      : '<p class="muted">No distribution was recorded for this feature.</p>'
    return `<article class="card feature" id="${anchor}">
<header>
<h3>${escapeHtml(name)}</h3>${badge(drift.drifted)}
<span class="muted">${escapeHtml(drift.type)} · <code>${escapeHtml(drift.method)}</code> · statistic ${statistic(drift)} · p-value ${pValue(drift)} · threshold ${formatNumber(drift.threshold)}</span>
</header>
${chart}
${summaryTable(own(evaluation.summaries ?? {}, name))}
</article>`
  })
  return `<section aria-labelledby="distributions">
<h2 id="distributions">Distributions <span class="muted">reference vs ${evaluation.files ? 'current file' : 'current window'}</span></h2>
${cards.join('\n')}
</section>`
}

/** Reference and current statistics side by side, as rows of one small table. */
function summaryTable(summary: FeatureSummary | undefined): string {
  if (!summary) return ''
  const number = (value: number | null) => (value === null ? NONE : formatNumber(value))
  let rows: [string, string, string][]
  if (summary.type === 'numerical') {
    const { reference: r, current: c } = summary
    rows = [
      ['Count', formatCount(r.count), formatCount(c.count)],
      ['Missing', formatCount(r.missing), formatCount(c.missing)],
      ['Mean', number(r.mean), number(c.mean)],
      ['Std', number(r.std), number(c.std)],
      ['Min', number(r.min), number(c.min)],
      ['25%', number(r.p25), number(c.p25)],
      ['Median', number(r.median), number(c.median)],
      ['75%', number(r.p75), number(c.p75)],
      ['Max', number(r.max), number(c.max)],
    ]
  } else {
    const { reference: r, current: c } = summary
    const top = (side: typeof r, i: number) => {
      const entry = side.top[i]
      return entry ? `${escapeHtml(entry.category)} · ${formatPercent(entry.share)}` : NONE
    }
    rows = [
      ['Count', formatCount(r.count), formatCount(c.count)],
      ['Missing', formatCount(r.missing), formatCount(c.missing)],
      ['Distinct', formatCount(r.distinct), formatCount(c.distinct)],
      ...Array.from(
        { length: Math.max(r.top.length, c.top.length) },
        (_, i): [string, string, string] => [`Top ${i + 1}`, top(r, i), top(c, i)],
      ),
    ]
  }
  return `<table class="stats">
<thead><tr><th scope="col">Statistic</th><th scope="col" class="num">Reference</th><th scope="col" class="num">Current</th></tr></thead>
<tbody>
${rows.map(([label, r, c]) => `<tr><th scope="row">${label}</th><td class="num">${r}</td><td class="num">${c}</td></tr>`).join('\n')}
</tbody>
</table>`
}
