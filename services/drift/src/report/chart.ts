/** The per-feature SVG chart: reference and current shares side by side in each bin or category. */
import type { Distribution } from '../evaluation/types.ts'
import { niceStep, niceTicks } from '../scale/index.ts'
import { escapeHtml, formatNumber, formatPercent } from './format.ts'

/**
 * Okabe–Ito blue and orange: told apart with every common colour-vision deficiency, and the
 * legend names them anyway.
 */
export const SERIES_COLOURS = { reference: '#0072B2', current: '#E69F00' } as const

const WIDTH = 1000
const HEIGHT = 260
// The right margin leaves room for the last edge label, centred on the plot's right edge.
const MARGIN = { top: 40, right: 28, bottom: 36, left: 52 }
// Rotated category labels need room below the axis.
const ROTATED_BOTTOM = 84
// Below this width per category, labels turn to fit; an average character is ~7 units wide.
const MIN_LEVEL_WIDTH = 72
const CHAR_WIDTH = 7
const ROTATED_CHARS = 14
// Numerical bins sit almost edge to edge, as in a histogram; categories stand apart.
const NUMERICAL_GAP = 0.06
const CATEGORICAL_GAP = 0.22
// About this many round values label a numerical axis.
const VALUE_TICKS = 8

/** One bin or category: what its bars' tooltips call it and the two shares drawn. */
interface Group {
  name: string
  reference: number
  current: number
}

/** An x-axis label at a position counted in groups from the left edge of the plot. */
interface Tick {
  at: number
  label: string
  /** Longer labels are cut short, the full text left as their tooltip. */
  maxChars?: number
}

/**
 * The chart of one feature's distribution, `id` unique in the document (it names the chart's
 * title and description for screen readers).
 */
export function distributionChart(id: string, feature: string, distribution: Distribution): string {
  const share = (values: number[], i: number) => values[i] ?? 0
  if (distribution.type === 'numerical') {
    const { edges } = distribution
    const bins = edges.length - 1
    const groups = Array.from({ length: bins }, (_, i): Group => {
      // numpy's bins are half-open except the last, which holds its right edge.
      const close = i === bins - 1 ? ']' : ')'
      const range = `[${formatNumber(edges[i] ?? 0)}, ${formatNumber(edges[i + 1] ?? 0)}${close}`
      return {
        name: range,
        reference: share(distribution.reference, i),
        current: share(distribution.current, i),
      }
    })
    const ticks = valueTicks(edges)
    const summary = `${bins} bins from ${formatNumber(edges[0] ?? 0)} to ${formatNumber(edges[bins] ?? 0)}`
    return barChart({ id, feature, summary, groups, ticks, gap: NUMERICAL_GAP, rotate: false })
  }
  const { categories } = distribution
  const groups = categories.map(
    (name, i): Group => ({
      name,
      reference: share(distribution.reference, i),
      current: share(distribution.current, i),
    }),
  )
  const levelWidth = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(categories.length, 1)
  const rotate = levelWidth < MIN_LEVEL_WIDTH
  const maxChars = rotate ? ROTATED_CHARS : Math.floor(levelWidth / CHAR_WIDTH)
  const ticks = categories.map((name, i) => ({ at: i + 0.5, label: name, maxChars }))
  const summary = `${categories.length} categories`
  return barChart({ id, feature, summary, groups, ticks, gap: CATEGORICAL_GAP, rotate })
}

interface BarChart {
  id: string
  feature: string
  summary: string
  groups: Group[]
  ticks: Tick[]
  /** Share of each group's width left empty, split between its two sides. */
  gap: number
  rotate: boolean
}

function barChart({ id, feature, summary, groups, ticks, gap, rotate }: BarChart): string {
  const height = rotate ? HEIGHT - MARGIN.bottom + ROTATED_BOTTOM : HEIGHT
  const bottom = height - (rotate ? ROTATED_BOTTOM : MARGIN.bottom)
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = bottom - MARGIN.top
  const groupWidth = plotWidth / Math.max(groups.length, 1)
  const barWidth = (groupWidth * (1 - gap)) / 2

  const largest = Math.max(0, ...groups.flatMap((g) => [g.reference, g.current]))
  const { step, top } = yScale(largest)
  const y = (value: number) => bottom - (value / top) * plotHeight
  const x = (at: number) => MARGIN.left + at * groupWidth

  const grid: string[] = []
  for (let k = 0; k * step <= top + step / 1e6; k++) {
    const value = k * step
    const at = y(value).toFixed(1)
    grid.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${at}" y2="${at}" stroke="#e3e7ec"/>`,
      `<text x="${MARGIN.left - 8}" y="${at}" text-anchor="end" dominant-baseline="middle">${formatPercent(value)}</text>`,
    )
  }

  const bars = groups.flatMap((group, i) => {
    const left = x(i) + (groupWidth * gap) / 2
    return (['reference', 'current'] as const).map((series, s) => {
      const value = group[series]
      const top = y(value)
      const label = `${series === 'reference' ? 'Reference' : 'Current'}: ${formatPercent(value)} of rows in ${group.name}`
      return (
        `<rect class="bar" data-series="${series}" x="${(left + s * barWidth).toFixed(2)}" ` +
        `y="${top.toFixed(2)}" width="${barWidth.toFixed(2)}" height="${(bottom - top).toFixed(2)}" ` +
        `fill="${SERIES_COLOURS[series]}"><title>${escapeHtml(label)}</title></rect>`
      )
    })
  })

  const labels = ticks.map(({ at, label, maxChars = Number.POSITIVE_INFINITY }) => {
    const tx = x(at).toFixed(1)
    const ty = bottom + 16
    const chars = [...label]
    const text =
      chars.length <= maxChars
        ? escapeHtml(label)
        : `<title>${escapeHtml(label)}</title>${escapeHtml(chars.slice(0, Math.max(maxChars - 1, 1)).join(''))}…`
    return rotate
      ? `<text x="${tx}" y="${ty}" text-anchor="end" transform="rotate(-35 ${tx} ${ty})">${text}</text>`
      : `<text x="${tx}" y="${ty}" text-anchor="middle">${text}</text>`
  })

  const name = escapeHtml(feature)
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc">
<title id="${id}-title">Distribution of ${name}: reference vs current</title>
<desc id="${id}-desc">Share of rows per bin in the reference (blue) and the current data (orange), ${escapeHtml(summary)}.</desc>
<g class="grid">${grid.join('')}</g>
<g class="bars">${bars.join('')}</g>
<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}" stroke="#52606d"/>
<g class="x-labels">${labels.join('')}</g>
<text class="axis-title" x="${MARGIN.left - 8}" y="16">Share of rows</text>
${legend()}
</svg>`
}

function legend(): string {
  const entries = [
    ['reference', 'Reference'],
    ['current', 'Current'],
  ] as const
  // Laid out from the right edge: each entry is a swatch, a gap and its label.
  let right = WIDTH - MARGIN.right
  const items: string[] = []
  for (const [series, label] of [...entries].reverse()) {
    const textWidth = label.length * CHAR_WIDTH
    const left = right - textWidth - 18
    items.unshift(
      `<rect x="${left}" y="6" width="12" height="12" rx="2" fill="${SERIES_COLOURS[series]}"/>` +
        `<text x="${left + 18}" y="16">${label}</text>`,
    )
    right = left - 20
  }
  return `<g class="legend">${items.join('')}</g>`
}

/** A round gridline step giving 3–5 lines, and the axis top it reaches just above `largest`. */
export function yScale(largest: number): { step: number; top: number } {
  if (!(largest > 0)) return { step: 0.25, top: 1 }
  const step = niceStep(largest / 4)
  return { step, top: Math.ceil(largest / step - 1e-9) * step }
}

/**
 * Round values along the bins, each placed by linear interpolation within the bin that holds it,
 * so the labels read 3000, 4000, 5000 whatever the edges (older evaluations have Sturges edges).
 */
function valueTicks(edges: number[]): Tick[] {
  const first = edges[0] ?? 0
  const last = edges.at(-1) ?? 1
  return niceTicks(first, last, VALUE_TICKS).map((value) => {
    let bin = 0
    while (bin < edges.length - 2 && value >= (edges[bin + 1] as number)) bin++
    const left = edges[bin] as number
    const width = (edges[bin + 1] as number) - left
    return { at: bin + (width > 0 ? (value - left) / width : 0), label: formatNumber(value) }
  })
}
