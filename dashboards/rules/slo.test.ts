import { expect, it } from 'vitest'
import { describeWith, installed } from '../../testing/tools/index.ts'
import { burnWindows, errorBudget, type Slo, slos } from '../slo/index.ts'
import { type AlertCase, promtoolTest, untested } from '../testing/promtool.ts'
import { burnAlertName, SLI_SOURCES, sloRuleGroup, sloRuleGroups } from './slo.ts'

/** A counter growing by `perMinute[i]` for `minutes[i]` minutes, in promtool's notation. */
function counter(segments: Array<[perMinute: number, minutes: number]>) {
  let value = 0
  return segments
    .map(([perMinute, minutes], i) => {
      // The first segment starts at 0; the next ones go on from where the previous one ended.
      const start = i === 0 ? 0 : value + perMinute
      value = start + perMinute * (i === 0 ? minutes : minutes - 1)
      return `${start}+${perMinute}x${i === 0 ? minutes : minutes - 1}`
    })
    .join(' ')
}

const REQUESTS_PER_MINUTE = 1000

/**
 * The raw series behind an SLO's SLI for one model: `segments` of [share of bad requests,
 * minutes]. Bad is a 5xx for availability, slower than the threshold for latency.
 */
function sliSeries(slo: Slo, model: string, segments: Array<[bad: number, minutes: number]>) {
  const source = SLI_SOURCES[slo.service]
  const labels =
    slo.service === 'gateway'
      ? `route="${model}",tenant="acme",variant="stable"`
      : `model="${model}",version="1",protocol="v2"`
  const share = (f: (bad: number) => number) =>
    counter(segments.map(([bad, minutes]) => [f(bad) * REQUESTS_PER_MINUTE, minutes]))
  if (slo.sli.kind === 'availability') {
    return {
      [`${source.requests}{${labels},status="200"}`]: share((bad) => 1 - bad),
      [`${source.requests}{${labels},status="503"}`]: share((bad) => bad),
    }
  }
  const histogram = source.duration
  return {
    [`${histogram}_bucket{${labels},le="${slo.sli.thresholdSeconds}"}`]: share((bad) => 1 - bad),
    [`${histogram}_bucket{${labels},le="+Inf"}`]: share(() => 1),
    [`${histogram}_count{${labels}}`]: share(() => 1),
  }
}

/** Where the SLIs do not look: unrouted gateway requests, unknown models. */
const OUTSIDE = { gateway: '', inference: 'unknown' }

function casesFor(slo: Slo): AlertCase[] {
  const budget = errorBudget(slo)
  const [fastest] = burnWindows(slo)
  const fast = Math.min(1, (fastest?.burnRate ?? 0) * budget * 1.4)
  const alert = burnAlertName(slo)
  // Per-model SLOs alert for the burning model only; a healthy one runs beside it.
  const model = slo.perModel ? { [SLI_SOURCES[slo.service].modelLabel]: 'penguins' } : {}
  const healthy = (minutes: number) => (slo.perModel ? sliSeries(slo, 'mpg', [[0, minutes]]) : {})
  const burning = (segments: Array<[number, number]>, minutes: number) => ({
    ...sliSeries(slo, 'penguins', segments),
    ...healthy(minutes),
    // All bad, yet outside the SLO's scope: they must not move it.
    ...sliSeries(slo, OUTSIDE[slo.service], [[1, minutes]]),
  })
  return [
    {
      title: `${slo.name}: a fast burn pages, and opens a ticket too`,
      alert,
      at: '1h',
      series: burning([[fast, 61]], 61),
      fires: [
        { severity: 'page', ...model },
        { severity: 'ticket', ...model },
      ],
    },
    {
      title: `${slo.name}: a slow burn opens a ticket only`,
      alert,
      at: '6h',
      series: burning([[5 * budget, 361]], 361),
      fires: [{ severity: 'ticket', ...model }],
    },
    {
      title: `${slo.name}: within the budget nothing fires`,
      alert,
      at: '6h',
      series: burning([[0.5 * budget, 361]], 361),
      fires: [],
    },
    {
      title: `${slo.name}: the page stops once the short windows are clean; the ticket stays`,
      alert,
      at: '100m',
      series: burning(
        [
          [fast, 61],
          [0, 40],
        ],
        101,
      ),
      fires: [{ severity: 'ticket', ...model }],
    },
  ]
}

it('derives the SRE workbook burn rates for a 30-day objective', () => {
  const slo = slos[0]
  expect(slo.windowDays).toBe(30)
  expect(burnWindows(slo)).toEqual([
    { severity: 'page', longMinutes: 60, shortMinutes: 5, budgetSpent: 0.02, burnRate: 14.4 },
    { severity: 'page', longMinutes: 360, shortMinutes: 30, budgetSpent: 0.05, burnRate: 6 },
    { severity: 'ticket', longMinutes: 1440, shortMinutes: 120, budgetSpent: 0.1, burnRate: 3 },
    { severity: 'ticket', longMinutes: 4320, shortMinutes: 360, budgetSpent: 0.1, burnRate: 1 },
  ])
})

describeWith(installed('promtool'), 'SLO burn-rate alerts under promtool test rules', (tools) => {
  it('has a firing and a quiet case for every alert and severity', () => {
    expect(untested(sloRuleGroups(), slos.flatMap(casesFor))).toEqual([])
  })

  it.each(slos.map((slo) => [slo.name, slo] as const))(
    '%s fires exactly as expected',
    async (_, slo) => {
      // Every 5 minutes, the shortest window: hours of series stay quick to evaluate.
      const result = await promtoolTest(tools.promtool, [sloRuleGroup(slo)], casesFor(slo), '5m')
      expect(result.output).toContain('SUCCESS')
      expect(result.status, result.output).toBe(0)
    },
  )
})
