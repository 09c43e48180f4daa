/** Escaping and number formatting shared by the report's HTML and its SVG charts. */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text safe in HTML and SVG element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string)
}

/** Shown where a value does not exist (a distance has no p-value) or was not recorded. */
export const NONE = '—'

/**
 * A statistic or p-value in at most four significant digits; very small and very large magnitudes
 * in exponent form, since p-values of drifted features often sit far below 0.001.
 */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞'
  if (value === 0) return '0'
  const magnitude = Math.abs(value)
  if (magnitude < 1e-3 || magnitude >= 1e6) return value.toExponential(2)
  return String(Number(value.toPrecision(4)))
}

/** A share in [0, 1] as a percentage, with one decimal unless it is whole. */
export function formatPercent(share: number): string {
  const percent = Number((share * 100).toFixed(1))
  return `${percent}%`
}

/** A row count with thousands separators, independent of the machine's locale. */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US')
}

/** An ISO timestamp as `YYYY-MM-DD HH:MM:SS UTC`; text that is no timestamp is shown as given. */
export function formatTimestamp(iso: string): string {
  const time = Date.parse(iso)
  if (Number.isNaN(time)) return iso
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}
