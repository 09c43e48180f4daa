// PrometheusMetricsSource on Prometheus's query API: what it asks and how it fails, on a small
// server answering as Prometheus does; and a real Prometheus scraping real gateways, where it must
// read what the gateways themselves count.
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Server, startServer, waitFor } from '../../../../dashboards/testing/processes.ts'
import { describeWith, installed } from '../../../../testing/tools/index.ts'
import { createGatewayMetrics } from '../../../gateway/src/metrics/gateway.ts'
import { tempDir, unreachableUrl } from '../testing/index.ts'
import { GatewayMetricsSource, PrometheusMetricsSource } from './index.ts'
import { type CanaryTraffic, startCanaryTraffic } from './testing.ts'

/** Starts a node:http server on 127.0.0.1; its URL and how to close it. */
async function listen(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const vector = (...samples: [labels: Record<string, string>, value: string][]) =>
  JSON.stringify({
    status: 'success',
    data: {
      resultType: 'vector',
      result: samples.map(([metric, value]) => ({ metric, value: [1700000000.5, value] })),
    },
  })

const promError = (errorType: string, error: string) =>
  JSON.stringify({ status: 'error', errorType, error })

type Answer = [status: number, body: string]
/** What the stand-in Prometheus answers under each route prefix, by the query asked. */
const SCENARIOS: Record<string, (query: string) => Answer> = {
  traffic: (query) => {
    if (query.startsWith('sum by (variant, le)')) {
      return [
        200,
        vector(
          [{ variant: 'production', le: '0.25' }, '10'],
          [{ variant: 'production', le: '+Inf' }, '10'],
          [{ variant: 'canary', le: '0.1' }, '2'],
          [{ variant: 'canary', le: '0.25' }, '6'],
          [{ variant: 'canary', le: '+Inf' }, '10'],
        ),
      ]
    }
    if (query.includes('status=~')) return [200, vector([{ variant: 'canary' }, '4'])]
    return [200, vector([{ variant: 'production' }, '10'], [{ variant: 'canary' }, '10'])]
  },
  quiet: () => [200, vector()],
  'bad-data': () => [400, promError('bad_data', '1:40: parse error: unexpected character')],
  // The first query passes, a later one fails: the read fails whole.
  'timed-out': (query) =>
    query.includes('_bucket')
      ? [503, promError('timeout', 'query timed out in expression evaluation')]
      : [200, vector([{ variant: 'canary' }, '1'])],
  proxy: () => [502, '<html><body>502 Bad Gateway</body></html>'],
  matrix: () => [
    200,
    JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
  ],
  'wide-buckets': (query) =>
    query.startsWith('sum by (variant, le)')
      ? [200, vector([{ variant: 'canary', le: '0.5' }, '1'])]
      : [200, vector([{ variant: 'canary' }, '1'])],
}

describe('querying Prometheus', () => {
  let prometheus: Awaited<ReturnType<typeof listen>>
  const asked: { path: string; query: string | null; time: string | null }[] = []
  beforeAll(async () => {
    prometheus = await listen((request, response) => {
      const url = new URL(request.url ?? '/', 'http://prometheus')
      const query = url.searchParams.get('query')
      asked.push({ path: url.pathname, query, time: url.searchParams.get('time') })
      const scenario = SCENARIOS[url.pathname.split('/')[1] ?? '']
      const [status, body] =
        scenario && query && url.pathname.endsWith('/api/v1/query')
          ? scenario(query)
          : [404, '404 page not found']
      response.writeHead(status, { 'content-type': 'application/json' }).end(body)
    })
  })
  afterAll(() => prometheus?.close())
  const source = (scenario: string) => new PrometheusMetricsSource(`${prometheus.url}/${scenario}/`)

  it("asks for each variant's counters of the model named exactly, all at one instant", async () => {
    asked.length = 0
    expect(await source('traffic').read('a"b\\c\nd')).toEqual({
      production: { requests: 10, errors: 0, slow: 0 },
      // 0.25 s is a bound: the 4 of 10 above it are slow.
      canary: { requests: 10, errors: 4, slow: 4 },
    })
    const series = (name: string, more = '') =>
      `${name}{route="a\\"b\\\\c\\nd",variant=~"production|canary"${more}}`
    const [first, ...rest] = asked
    expect(first).toEqual({
      path: '/traffic/api/v1/query',
      query: `sum by (variant) (${series('infera_gateway_requests_total')})`,
      time: null,
    })
    // At the instant Prometheus counted the requests at, whatever order they arrived in.
    expect(rest.map((r) => r.time)).toEqual(['1700000000.5', '1700000000.5', '1700000000.5'])
    expect(rest.map((r) => r.query).sort()).toEqual([
      `sum by (variant) (${series('infera_gateway_request_duration_seconds_count')})`,
      `sum by (variant) (${series('infera_gateway_requests_total', ',status=~"5.."')})`,
      `sum by (variant, le) (${series('infera_gateway_request_duration_seconds_bucket')})`,
    ])
  })

  it('asks no more once no variant has served anything', async () => {
    asked.length = 0
    expect(await source('quiet').read('m')).toEqual({})
    expect(asked).toHaveLength(1)
  })

  it('fails a read with what Prometheus, or whatever answered, said', async () => {
    const requests =
      'sum by (variant) (infera_gateway_requests_total{route="m",variant=~"production|canary"})'
    await expect(source('bad-data').read('m')).rejects.toThrow(
      `Prometheus at ${prometheus.url}/bad-data failed the query ${requests} (400 bad_data): 1:40: parse error: unexpected character`,
    )
    await expect(source('timed-out').read('m')).rejects.toThrow(
      /^Prometheus at \S+\/timed-out failed the query sum by \(variant, le\) \(infera_gateway_request_duration_seconds_bucket\{.+\}\) \(503 timeout\): query timed out in expression evaluation$/,
    )
    await expect(source('proxy').read('m')).rejects.toThrow(
      `Prometheus at ${prometheus.url}/proxy answered the query ${requests} with 502 and no vector`,
    )
    await expect(source('matrix').read('m')).rejects.toThrow('with 200 and no vector')
    await expect(source('nowhere').read('m')).rejects.toThrow('with 404 and no vector')
    await expect(source('wide-buckets').read('m')).rejects.toThrow(
      "the gateway's infera_gateway_request_duration_seconds has no bucket at or below 0.25 s",
    )
    const down = await unreachableUrl()
    await expect(new PrometheusMetricsSource(down).read('m')).rejects.toThrow(
      `can't query Prometheus at ${down}: connect ECONNREFUSED`,
    )
    expect(() => new PrometheusMetricsSource('prometheus:9090')).toThrow(
      "Prometheus URL 'prometheus:9090' is not an http(s) URL",
    )
  })
})

/** A model name PromQL and the exposition format both have to escape. */
const ODD_NAME = 'we"ird\\na\nme'

/** A page as a gateway writes it, with canary traffic of ODD_NAME: 3 requests, 1 5xx, 1 slow. */
function oddPage() {
  const metrics = createGatewayMetrics()
  for (const [status, seconds] of [
    ['200', 0.1],
    ['200', 0.1],
    ['503', 0.4],
  ] as const) {
    metrics.requests.inc({ route: ODD_NAME, tenant: 'acme', variant: 'canary', status })
    metrics.requestDuration.observe({ route: ODD_NAME, variant: 'canary' }, seconds)
  }
  return metrics.registry.expose()
}

describeWith(installed('prometheus'), 'a real Prometheus scraping real gateways', (tools) => {
  let traffic: CanaryTraffic
  let exporter: Awaited<ReturnType<typeof listen>>
  let prometheus: Server

  beforeAll(async () => {
    traffic = await startCanaryTraffic()
    const page = oddPage()
    exporter = await listen((_, response) => response.end(page))
    // Every request was counted before its answer came back.
    const counted = Date.now()
    const dir = tempDir('infera-canary-prometheus-')
    const targets = [...traffic.gateways, exporter.url].map((url) => new URL(url).host)
    // JSON is YAML.
    writeFileSync(
      join(dir, 'prometheus.yml'),
      JSON.stringify({
        global: { scrape_interval: '1s' },
        scrape_configs: [{ job_name: 'gateway', static_configs: [{ targets }] }],
      }),
    )
    prometheus = await startServer(tools.prometheus, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--log.level=warn',
    ])
    // A scrape's samples carry its start time, never later, and `up` is stored with them: once
    // every target has an `up` of 1 stamped after `counted`, Prometheus has all the traffic.
    const scrapes = `timestamp(up{job="gateway"}) and on (instance) (up{job="gateway"} == 1)`
    await waitFor(
      'Prometheus to scrape every gateway after the traffic',
      async () => {
        const url = `${prometheus.url}/api/v1/query?${new URLSearchParams({ query: scrapes })}`
        const answer = (await (await fetch(url)).json()) as {
          data: { result: { value: [number, string] }[] }
        }
        const stamps = answer.data.result.map((s) => Math.round(Number(s.value[1]) * 1000))
        return stamps.length === targets.length && stamps.every((t) => t > counted)
          ? true
          : undefined
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${prometheus.output()}`)
    })
  })
  afterAll(async () => {
    await prometheus?.stop()
    await exporter?.close()
    await traffic?.close()
  })

  it('reads what the gateways count, summed over the replicas', async () => {
    // 0.3 s is no bound (0.25 s is used, and every canary answer is slow); 30 s is the largest.
    for (const latencyThresholdSeconds of [0.3, 0.25, 30]) {
      const options = { latencyThresholdSeconds }
      const fromGateways = await new GatewayMetricsSource(traffic.gateways, options).read('m')
      expect(
        await new PrometheusMetricsSource(prometheus.url, options).read('m'),
        `${latencyThresholdSeconds} s`,
      ).toEqual(fromGateways)
    }
    const canary = traffic.tallies.reduce((sum, tally) => sum + tally.canary.requests, 0)
    expect(await new PrometheusMetricsSource(prometheus.url).read('m')).toMatchObject({
      production: { errors: 0 },
      canary: { requests: canary, errors: canary, slow: canary },
    })
  })

  it("matches the model's name exactly, whatever it holds", async () => {
    const source = new PrometheusMetricsSource(prometheus.url)
    const odd = { canary: { requests: 3, errors: 1, slow: 1 } }
    expect(await source.read(ODD_NAME)).toEqual(odd)
    expect(await new GatewayMetricsSource(exporter.url).read(ODD_NAME)).toEqual(odd)
    // Unescaped, this name would add a matcher that m's series pass.
    expect(await source.read('m",route=~".+')).toEqual({})
    expect(await source.read('another-model')).toEqual({})
  })

  it("fails a read as the gateway's reader does when no bucket is at or below the threshold", async () => {
    const message =
      "the gateway's infera_gateway_request_duration_seconds has no bucket at or below 0.001 s"
    const options = { latencyThresholdSeconds: 0.001 }
    await expect(new PrometheusMetricsSource(prometheus.url, options).read('m')).rejects.toThrow(
      message,
    )
    await expect(new GatewayMetricsSource(traffic.gateways, options).read('m')).rejects.toThrow(
      message,
    )
  })
})
