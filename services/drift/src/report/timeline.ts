/**
 * Drift over time: small SVG line charts of the last windows' share of drifted features and each
 * feature's p-value (or its statistic, for distances), oldest window on the left.
 */
import type { DriftEvaluation } from '../evaluation/types.ts'
import { SERIES_COLOURS, yScale } from './chart.ts'
import { escapeHtml, formatNumber, formatPercent, formatTimestamp } from './format.ts'

/** Windows drawn at most: the report's route reads no more than this from the history. */
export const MAX_TIMELINE_WINDOWS = 30

const WIDTH = 360
const HEIGHT = 140
const MARGIN = { top: 12, right: 12, bottom: 22, left: 52 }
// p-values below this are drawn on the floor of the log axis.
const P_FLOOR = 1e-6
const THRESHOLD_COLOUR = '#b42318'

/** One point per window, its value and what its tooltip says. */
interface Point {
  value: number
  label: string
}

interface Series {
  id: string
  title: string
  points: Point[]
  threshold: number
  /** p-values on a log axis from P_FLOOR to 1; shares and statistics on a linear one. */
  scale: 'log' | 'linear' | 'share'
}

/** The section, or nothing with fewer than two windows (one point is no line). */
export function timeline(history: readonly DriftEvaluation[]): string {
  const windows = [...history]
    .sort((a, b) => Date.parse(a.window.end) - Date.parse(b.window.end))
    .slice(-MAX_TIMELINE_WINDOWS)
  if (windows.length < 2) return ''
  const when = (e: DriftEvaluation) => formatTimestamp(e.window.end)
  const share: Series = {
    id: 'timeline-share',
    title: 'Share of drifted features',
    scale: 'share',
    threshold: windows.at(-1)?.drift.drift_share ?? 0.5,
    points: windows.map((e) => ({
      value: e.drift.share_drifted,
      label: `${when(e)}: ${formatPercent(e.drift.share_drifted)} of features drifted`,
    })),
  }
  const names = [...new Set(windows.flatMap((e) => Object.keys(e.drift.features)))]
  const features = names.map((name, i): Series => {
    const latest = windows.findLast((e) => Object.hasOwn(e.drift.features, name))
    const usesP = latest?.drift.features[name]?.p_value !== null
    const points = windows.flatMap((e): Point[] => {
      const feature = Object.hasOwn(e.drift.features, name) ? e.drift.features[name] : undefined
      if (!feature) return []
      const value = usesP ? feature.p_value : feature.statistic
      if (value === null) return []
      const what = usesP ? 'p-value' : 'statistic'
      return [{ value, label: `${when(e)}: ${what} ${formatNumber(value)}` }]
    })
    return {
      id: `timeline-feature-${i}`,
      title: `${name} · ${usesP ? 'p-value' : 'statistic'}`,
      scale: usesP ? 'log' : 'linear',
      threshold: latest?.drift.features[name]?.threshold ?? 0,
      points,
    }
  })
  const first = windows[0] as DriftEvaluation
  const last = windows.at(-1) as DriftEvaluation
  return `<section aria-labelledby="over-time">
<h2 id="over-time">Drift over time <span class="muted">last ${windows.length} windows, ${escapeHtml(formatTimestamp(first.window.end))} to ${escapeHtml(formatTimestamp(last.window.end))}; the red line is the threshold</span></h2>
<div class="timeline">
${[share, ...features].map(lineChart).join('\n')}
</div>
</section>`
}

function lineChart(series: Series): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
  const bottom = HEIGHT - MARGIN.bottom
  const axis = verticalAxis(series)
  const y = (value: number) => bottom - axis.position(value) * plotHeight
  const count = series.points.length
  const x = (i: number) => MARGIN.left + (count < 2 ? plotWidth / 2 : (i / (count - 1)) * plotWidth)
  const grid = axis.ticks.map(
    ({ value, label }) =>
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#e3e7ec"/>` +
      `<text x="${MARGIN.left - 6}" y="${y(value).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${label}</text>`,
  )
  const path = series.points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join('')
  const dots = series.points.map(
    (p, i) =>
      `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3" fill="${SERIES_COLOURS.reference}"><title>${escapeHtml(p.label)}</title></circle>`,
  )
  const threshold = y(series.threshold).toFixed(1)
  const title = escapeHtml(series.title)
  return `<figure class="card spark">
<figcaption>${title}</figcaption>
<svg class="line-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${series.id}-title">
<title id="${series.id}-title">${title} over the last ${count} windows</title>
<g class="grid">${grid.join('')}</g>
<line class="threshold" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${threshold}" y2="${threshold}" stroke="${THRESHOLD_COLOUR}" stroke-dasharray="4 3"><title>threshold ${formatNumber(series.threshold)}</title></line>
<path d="${path}" fill="none" stroke="${SERIES_COLOURS.reference}" stroke-width="2"/>
<g class="points">${dots.join('')}</g>
<text x="${MARGIN.left}" y="${HEIGHT - 6}">oldest</text>
<text x="${WIDTH - MARGIN.right}" y="${HEIGHT - 6}" text-anchor="end">latest</text>
</svg>
</figure>`
}

/** Where a value sits on the axis, 0 at the bottom and 1 at the top, and the labelled values. */
function verticalAxis(series: Series): {
  position: (value: number) => number
  ticks: { value: number; label: string }[]
} {
  if (series.scale === 'log') {
    const floor = Math.log10(P_FLOOR)
    const position = (value: number) =>
      (Math.log10(Math.min(1, Math.max(value, P_FLOOR))) - floor) / -floor
    const ticks = [1, 1e-2, 1e-4, 1e-6].map((value) => ({ value, label: formatNumber(value) }))
    return { position, ticks }
  }
  const values = series.points.map((p) => p.value).filter(Number.isFinite)
  const largest = Math.max(series.threshold, ...values)
  const { step, top } = series.scale === 'share' ? { step: 0.25, top: 1 } : yScale(largest)
  const format = series.scale === 'share' ? formatPercent : formatNumber
  const ticks: { value: number; label: string }[] = []
  for (let k = 0; k * step <= top + step / 1e6; k++)
    ticks.push({ value: k * step, label: format(k * step) })
  return { position: (value: number) => Math.min(value, top) / top, ticks }
}
