// No dead panel, no dead alert: the real services, started as `npm start` starts them, must export
// every metric the generated dashboards and rules read, and a real Prometheus scraping them with
// the generated rules loaded must record every SLO series.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PREDICT } from '../../loadtests/request.ts'
import { type Platform, startPlatform } from '../../testing/platform.ts'
import { describeWith, installed } from '../../testing/tools/index.ts'
import { toYaml, writeAlerts } from '../build.ts'
import { buildDashboards, buildRuleGroups } from '../index.ts'
import { type Server, startServer, waitFor } from '../testing/processes.ts'
import { dashboardUsages, ruleUsages } from '../testing/queries.ts'
import { EXTERNAL_METRICS } from './external.ts'

const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
}

/** The series names a /metrics page can produce, from its `# TYPE` lines (series or not). */
function exportedNames(page: string): string[] {
  return [...page.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
    (SUFFIXES[type as string] ?? ['']).map((suffix) => `${name}${suffix}`),
  )
}

let platform: Platform
let traffic: ReturnType<typeof setInterval> | undefined

/** A prediction through the gateway, so request counters and histograms have series. */
async function predict() {
  const response = await fetch(`${platform.gateway}${PREDICT.path}`, {
    method: PREDICT.method,
    headers: PREDICT.headers(platform.apiKey),
    body: PREDICT.body,
  })
  expect(response.status).toBe(200)
}

beforeAll(async () => {
  platform = await startPlatform()
  await predict()
})
afterAll(async () => {
  clearInterval(traffic)
  await platform?.stop()
})

const scrapeToken = () => platform.tokens.INFERA_GATEWAY_METRICS_TOKEN as string
const scrapeHeaders = () => ({ authorization: `Bearer ${scrapeToken()}` })

describe('the metrics dashboards and rules read', () => {
  it('are all exported by the services, declared external, or recorded by a rule', async () => {
    const pages = await Promise.all(
      [platform.gateway, platform.inference, platform.drift, platform.registry].map(async (url) =>
        (await fetch(`${url}/metrics`, { headers: scrapeHeaders() })).text(),
      ),
    )
    const exported = new Set(pages.flatMap(exportedNames))
    const groups = buildRuleGroups().groups
    const recorded = new Set(
      groups.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [r.record] : []))),
    )
    const usages = [...dashboardUsages(buildDashboards()), ...ruleUsages(groups)]
    const dead = usages.flatMap(({ source, names }) =>
      names
        .filter((name) => !exported.has(name) && !EXTERNAL_METRICS.has(name) && !recorded.has(name))
        .map((name) => `${source} reads ${name}`),
    )
    expect(dead).toEqual([])
    // Every declaration is used, and none shadows a metric the services do export.
    const used = new Set(usages.flatMap((u) => u.names))
    expect([...EXTERNAL_METRICS].filter((name) => !used.has(name) || exported.has(name))).toEqual(
      [],
    )
    // Sanity: the services were really read, and every panel and rule reads something.
    expect(exported.has('infera_inference_requests_total')).toBe(true)
    expect(exported.has('infera_drift_feature_score')).toBe(true)
    expect(exported.has('infera_gateway_request_duration_seconds_bucket')).toBe(true)
    expect(exported.has('infera_canary_decisions_total')).toBe(true)
    expect(usages.filter((u) => u.names.length === 0 && !u.expr.startsWith('vector('))).toEqual([])
  })
})

describeWith(installed('prometheus'), 'Prometheus with the generated rules', (tools) => {
  let prometheus: Server

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infera-prometheus-'))
    writeAlerts({ outDir: dir, receivers: {}, namespace: 'monitoring' })
    const job = (name: string, url: string) => ({
      job_name: name,
      static_configs: [{ targets: [new URL(url).host] }],
      // The gateway's /metrics is closed without its scrape token; the others ignore it.
      authorization: { credentials: scrapeToken() },
    })
    writeFileSync(
      join(dir, 'prometheus.yml'),
      toYaml({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: ['rules/*.yaml'],
        scrape_configs: [
          job('infera-gateway', platform.gateway),
          job('infera-inference', platform.inference),
          job('infera-drift', platform.drift),
          job('infera-registry', platform.registry),
        ],
      }),
    )
    prometheus = await startServer(tools.prometheus, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--log.level=warn',
    ])
    // Steady traffic, so that rates over the first seconds have something to count. Prometheus
    // hands new targets to its scrapers every 5 s, so the first series take that long.
    traffic = setInterval(() => void predict().catch(() => {}), 200)
  })
  afterAll(() => prometheus?.stop())

  async function query(expr: string) {
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`
    const body = (await (await fetch(url)).json()) as {
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }
    }
    return body.data.result
  }

  it('scrapes the four services and records every SLO series from them', async () => {
    const groups = buildRuleGroups().groups
    const expected = groups.flatMap((group) =>
      group.rules.flatMap((rule) =>
        'record' in rule ? [`${rule.record} ${rule.labels?.slo ?? ''}`] : [],
      ),
    )
    const missing = await waitFor('every recording rule to produce series', async () => {
      const series = await query('count by (__name__, slo) ({__name__=~"slo:.+"})')
      const found = new Set(series.map((s) => `${s.metric.__name__} ${s.metric.slo}`))
      const left = expected.filter((name) => !found.has(name))
      return left.length === 0 ? left : undefined
    }).catch((error: Error) => [error.message])
    expect(missing).toEqual([])

    const up = await query('up')
    expect(up.map((s) => `${s.metric.job} ${s.value[1]}`).sort()).toEqual([
      'infera-drift 1',
      'infera-gateway 1',
      'infera-inference 1',
      'infera-registry 1',
    ])
    // Successful traffic only: no budget spent, per model where the SLO is per model.
    const availability = await query('slo:sli_error:ratio_rate5m{slo=~".*availability"}')
    expect(availability.map((s) => [s.metric.slo, s.metric.model, s.value[1]]).sort()).toEqual([
      ['gateway-availability', undefined, '0'],
      ['inference-availability', 'penguins', '0'],
    ])
  })

  it('evaluates every rule without an error, and the watchdog fires', async () => {
    type Rules = {
      data: {
        groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }>
      }
    }
    const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as Rules
    const evaluated = rules.data.groups.flatMap((g) => g.rules)
    expect(evaluated.length).toBe(buildRuleGroups().groups.flatMap((g) => g.rules).length)
    expect(evaluated.filter((r) => r.health !== 'ok')).toEqual([])
    const firing = await query('ALERTS{alertstate="firing"}')
    expect(firing.map((s) => s.metric.alertname)).toEqual(['InferaWatchdog'])
  })

  it('runs every panel and annotation query, and the lifecycle board shows what npm start serves', async () => {
    // As Grafana sends them: its own variables are durations, the dashboards' "All" is `.*`.
    const asSent = (expr: string) =>
      expr.replace(/\$\{?(\w+)\}?/g, (_, name: string) => (name.startsWith('__') ? '1m' : '.*'))
    const queries = dashboardUsages(buildDashboards()).filter(
      (u) => !u.source.includes(' variable '),
    )
    expect(queries.filter((u) => u.source.includes(' annotation ')).length).toBeGreaterThan(0)
    const failed = []
    for (const { source, expr } of queries) {
      const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(asSent(expr))}`
      const body = (await (await fetch(url)).json()) as { status: string; error?: string }
      if (body.status !== 'success') failed.push(`${source}: ${body.error}`)
    }
    expect(failed).toEqual([])

    const serving = queries.find((u) => u.source === 'dashboard lifecycle: panel "Serving now"')
    const routes = await query(asSent(serving?.expr ?? 'absent'))
    const penguins = routes.filter((s) => s.metric.route === 'penguins')
    expect(penguins.map((s) => [s.metric.variant, s.metric.version, s.value[1]])).toEqual([
      ['production', '1', '100'],
    ])
  })
})
