// Reading metric names out of PromQL, so a test can hold every dashboard query and rule to the
// metrics the services really export. A lexer, not a parser: generated queries are well-formed
// (promtool and Prometheus check that), so only names have to be told apart from everything else.

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
])

// Removed before names are read: strings, label matchers, ranges and subqueries, Grafana's
// variables, and the label lists of grouping and vector matching clauses.
const NOT_NAMES = [
  /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g,
  /\{[^}]*\}/g,
  /\[[^\]]*\]/g,
  /\$\{?\w+\}?/g,
  /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
]

/** The metric names an expression selects, in order of first use. */
export function metricNames(expr: string): string[] {
  const code = NOT_NAMES.reduce((text, pattern) => text.replace(pattern, ' '), expr)
  const names = new Set<string>()
  // Numbers and durations are matched first so that `1e3` or `5m` never reads as a name.
  for (const match of code.matchAll(/\d[\w.]*|([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match
    if (name && !call && !KEYWORDS.has(name.toLowerCase())) names.add(name)
  }
  return [...names]
}

/**
 * The metric names of a Grafana Prometheus variable query: `label_values(expr, label)` reads the
 * label from the series of `expr`; `label_values(label)` reads no metric at all.
 */
export function variableMetricNames(query: string): string[] {
  const labelValues = /^\s*label_values\((.*),\s*\w+\s*\)\s*$/.exec(query)
  if (labelValues) return metricNames(labelValues[1] as string)
  return /^\s*label_values\(\s*\w+\s*\)\s*$/.test(query) ? [] : metricNames(query)
}
