/** The report's stylesheet, inlined so the document needs nothing from the network. */

/** The grey behind the white cards. */
export const PAGE_BACKGROUND = '#f4f6f8'

export const STYLE = `
:root {
  color-scheme: light;
  --ink: #1f2933; --muted: #616e7c; --line: #e3e7ec; --page: ${PAGE_BACKGROUND}; --card: #fff;
  --drift: #b42318; --drift-bg: #fee4e2; --ok: #067647; --ok-bg: #dcfae6;
  --warn: #93370d; --warn-bg: #fffaeb; --warn-line: #fedf89;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--page); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
  -webkit-font-smoothing: antialiased;
}
main { max-width: 1200px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 26px; line-height: 1.2; margin: 0 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 32px 0 12px; }
h3 { font-size: 16px; margin: 0; overflow-wrap: anywhere; }
code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
a { color: #175cd3; text-decoration: none; }
a:hover { text-decoration: underline; }
.subtitle, .muted, footer { color: var(--muted); }
h2 .muted { font-weight: 400; font-size: 14px; margin-left: 6px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 16px; margin-top: 20px; }
.metric { padding: 16px 20px; }
.metric .label { font-size: 12px; font-weight: 600; letter-spacing: 0.05em; text-transform: uppercase; color: var(--muted); }
.metric .value { font-size: 28px; font-weight: 650; line-height: 1.3; font-variant-numeric: tabular-nums; }
.metric .unit { font-size: 15px; font-weight: 400; color: var(--muted); }
.metric .note { font-size: 13px; color: var(--muted); }
.meter { height: 8px; margin-top: 8px; border-radius: 4px; background: var(--line); overflow: hidden; }
.meter span { display: block; height: 100%; background: var(--ink); }
.verdict { border-left-width: 6px; }
.verdict.drift { border-left-color: var(--drift); background: var(--drift-bg); }
.verdict.drift .value { color: var(--drift); }
.verdict.ok { border-left-color: var(--ok); background: var(--ok-bg); }
.verdict.ok .value { color: var(--ok); }
.warnings { margin-top: 20px; padding: 12px 20px; background: var(--warn-bg); border-color: var(--warn-line); color: var(--warn); }
.warnings h2 { font-size: 14px; margin: 0 0 4px; }
.warnings ul { margin: 0; padding-left: 20px; }
.table { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 9px 12px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
thead th { font-size: 12px; font-weight: 600; color: var(--muted); background: #f9fafb; }
thead tr.groups th { font-size: 11px; letter-spacing: 0.05em; text-transform: uppercase; border-bottom: 0; padding-bottom: 0; }
tbody tr:last-child > * { border-bottom: 0; }
tbody th { font-weight: 600; white-space: normal; overflow-wrap: break-word; }
.num { text-align: right; }
td.flagged { color: var(--warn); font-weight: 600; }
thead tr.groups th:nth-child(2), thead th:nth-child(8), tbody td:nth-of-type(7) { border-left: 1px solid var(--line); }
.badge { display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.drift { color: var(--drift); background: var(--drift-bg); }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.feature { margin-bottom: 16px; padding: 16px 20px 12px; }
.feature header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; margin-bottom: 4px; }
.chart { display: block; width: 100%; height: auto; font-size: 12px; fill: #52606d; overflow: visible; }
.chart .axis-title { fill: var(--muted); }
.chart .legend text { fill: var(--ink); }
.rule { margin: 16px 0 0; color: var(--muted); }
.stats { width: auto; min-width: 360px; margin-top: 8px; font-size: 13px; }
.stats th, .stats td { padding: 4px 12px; }
.timeline { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
.spark { margin: 0; padding: 10px 12px 4px; }
.spark figcaption { font-weight: 600; font-size: 13px; overflow-wrap: anywhere; }
.line-chart { display: block; width: 100%; height: auto; font-size: 11px; fill: #52606d; }
footer { margin-top: 24px; font-size: 12px; }
@media print {
  body { background: #fff; }
  .card { break-inside: avoid; }
}
`
