/**
 * One exposition from every worker's: the text each worker's own `/metrics` wrote, merged series by
 * series. Counters and histograms (each bucket, `_sum` and `_count`) add up; a gauge says one
 * thing per target or route, so each has its own rule for what the workers' values mean together.
 */

type GaugeRule = 'max' | 'min' | 'same'

/** Every gauge the gateway exports; merging a gauge without a rule throws, so a new one needs one. */
export const GAUGE_RULES: Readonly<Record<string, GaugeRule>> = {
  // The worst any worker sees: 2 (open) if one worker's breaker has opened.
  infera_gateway_breaker_state: 'max',
  // Unhealthy (0) as soon as one worker's checks say so.
  infera_gateway_upstream_healthy: 'min',
  // Every worker reads the same routes, so every worker reports the same weights.
  infera_gateway_route_weight: 'same',
  infera_gateway_route_target_info: 'same',
}

interface Family {
  head: string[]
  type: string
  /** Series key (name and labels, as written) to its value, in first-seen order. */
  samples: Map<string, number>
}

const parseValue = (text: string) =>
  text === '+Inf'
    ? Number.POSITIVE_INFINITY
    : text === '-Inf'
      ? Number.NEGATIVE_INFINITY
      : Number(text)

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

function combine(name: string, type: string, a: number, b: number): number {
  if (type !== 'gauge') return a + b
  const rule = GAUGE_RULES[name]
  if (rule === 'max') return Math.max(a, b)
  if (rule === 'min') return Math.min(a, b)
  if (rule === 'same') return a
  throw new Error(`no rule to merge gauge ${name} across workers: add it to GAUGE_RULES`)
}

/** The sum (or per-gauge rule) of expositions every worker of one gateway wrote. */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, Family>()
  for (const text of texts) {
    let family: Family | undefined
    let familyName = ''
    for (const line of text.split('\n')) {
      if (line === '') continue
      const head = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line)
      if (head) {
        familyName = head[2] as string
        family = families.get(familyName)
        if (!family) {
          family = { head: [], type: 'untyped', samples: new Map() }
          families.set(familyName, family)
        }
        if (!family.head.includes(line)) family.head.push(line)
        if (head[1] === 'TYPE') family.type = head[3] ?? 'untyped'
        continue
      }
      // The gateway's registry writes no timestamps: a sample is `name{labels} value`.
      const split = line.lastIndexOf(' ')
      if (!family || split < 0) throw new Error(`a worker's metrics have a stray line: ${line}`)
      const key = line.slice(0, split)
      const value = parseValue(line.slice(split + 1))
      const seen = family.samples.get(key)
      family.samples.set(
        key,
        seen === undefined ? value : combine(familyName, family.type, seen, value),
      )
    }
  }
  const lines: string[] = []
  for (const family of families.values()) {
    lines.push(...family.head)
    for (const [key, value] of family.samples) lines.push(`${key} ${formatValue(value)}`)
  }
  return `${lines.join('\n')}\n`
}
