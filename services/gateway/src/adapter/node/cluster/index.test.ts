// The cluster over real processes: `infera gateway --workers 2` as the container runs it, requests
// on fresh connections so node:cluster hands them to both workers in turn.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashApiKey } from '../../../auth/index.ts'
import type { GatewayConfigFile } from '../../../config/index.ts'
import { METRICS_TOKEN, TEST_METRICS } from '../../../testing/index.ts'
import { startModelServer } from '../testing.ts'

const ROOT = fileURLToPath(new URL('../../../../../../', import.meta.url))
const KEY = 'cluster-test-key'
const BURST = 10
const SENT = 40

interface LogLine {
  msg?: string
  worker?: number | string
  pid?: number
  url?: string
  event?: string
}

/** `infera gateway --workers 2` on a free port; resolves once both workers and the primary are up. */
async function startCluster(configFile: string) {
  const child = spawn(
    process.execPath,
    ['bin/infera.js', 'gateway', '--config', configFile, '--workers', '2', '--port', '0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const lines: LogLine[] = []
  let waiting: { test: () => boolean; resolve: () => void } | undefined
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk
    const complete = buffered.split('\n')
    buffered = complete.pop() ?? ''
    for (const text of complete) if (text.startsWith('{')) lines.push(JSON.parse(text))
    if (waiting?.test()) waiting.resolve()
  })
  /** Resolves once the log has a line for which `test` holds. */
  const logged = (test: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const found = () => lines.find(test)
      const exited = () =>
        reject(new Error(`the gateway exited; it logged ${JSON.stringify(lines)}`))
      child.once('exit', exited)
      waiting = {
        test: () => !!found(),
        resolve: () => {
          child.off('exit', exited)
          resolve(found() as LogLine)
        },
      }
      if (waiting.test()) waiting.resolve()
    })
  const ready = await logged((l) => l.msg === 'gateway cluster ready')
  return { child, lines, logged, url: ready.url as string }
}

/** One request on a connection of its own, so consecutive requests reach different workers. */
function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      url,
      { method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

const infer = (url: string) =>
  request(`${url}/v2/models/tiny/infer`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [] }),
  })

/** The sum of every sample of `name` whose labels include each of `labels` (`tenant="acme"`). */
const total = (text: string, name: string, ...labels: string[]) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => labels.every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)

let dir: string
let model: Awaited<ReturnType<typeof startModelServer>>
let gateway: Awaited<ReturnType<typeof startCluster>>
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'infera-gateway-cluster-'))
  model = await startModelServer()
  model.loaded.add('tiny/1')
  const config: GatewayConfigFile = {
    auth: { api_keys: [{ tenant: 'acme', sha256: await hashApiKey(KEY), models: ['*'] }] },
    metrics: TEST_METRICS,
    // Next to no refill: what passes is the burst.
    rate_limits: { default: { rate: 0.001, burst: BURST } },
    routes: [
      {
        model: 'tiny',
        variants: [{ name: 'stable', weight: 100, version: '1', targets: [model.url] }],
      },
    ],
  }
  const file = join(dir, 'gateway.json')
  await writeFile(file, JSON.stringify(config))
  gateway = await startCluster(file)
}, 60_000)
afterAll(async () => {
  if (gateway?.child.exitCode === null) gateway.child.kill('SIGKILL')
  await model?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('infera gateway --workers 2', () => {
  it('serves from two workers on the one port it prints, each logging with its worker id', async () => {
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    // A worker's own log stream may reach the pipe after the primary's "cluster ready".
    const isReady = (l: LogLine) => l.msg === 'gateway ready'
    await gateway.logged(() => gateway.lines.filter(isReady).length >= 2)
    const workers = gateway.lines.filter(isReady)
    expect(workers.map((l) => l.url)).toEqual([gateway.url, gateway.url])
    expect(new Set(workers.map((l) => l.worker)).size).toBe(2)
    expect(new Set(workers.map((l) => l.pid)).size).toBe(2)
  })

  it('lets about the burst through across both workers, not the burst per worker', async () => {
    const statuses: number[] = []
    for (let i = 0; i < SENT; i++) statuses.push((await infer(gateway.url)).status)
    const passed = statuses.filter((s) => s === 200).length
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    // Each worker holds BURST/2: more than half means both served, at most BURST in total.
    expect(passed).toBeGreaterThan(BURST / 2)
    expect(passed).toBeLessThanOrEqual(BURST)
    // Both workers served some, each in its own access log lines.
    for (const { worker } of gateway.lines.filter((l) => l.msg === 'gateway ready')) {
      await gateway.logged((l) => l.msg === 'request' && l.worker === worker)
    }
  })

  it('answers /metrics from any worker with every worker counted', async () => {
    const scrapes = []
    for (let i = 0; i < 4; i++) {
      const answer = await request(`${gateway.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
      expect(answer.status).toBe(200)
      scrapes.push(answer.body)
    }
    const requests = 'infera_gateway_requests_total'
    for (const text of scrapes) {
      const passed = total(text, requests, 'tenant="acme"', 'status="200"')
      expect(total(text, requests, 'tenant="acme"')).toBe(SENT)
      expect(total(text, 'infera_gateway_rate_limited_total')).toBe(SENT - passed)
      expect(passed).toBeGreaterThan(BURST / 2)
    }
    // Still closed without the scrape token, whichever worker answers.
    expect((await request(`${gateway.url}/metrics`, {})).status).toBe(401)
  })

  it('replaces a worker that dies', async () => {
    const first = gateway.lines.find((l) => l.msg === 'gateway ready') as LogLine
    process.kill(first.pid as number, 'SIGKILL')
    await gateway.logged((l) => l.event === 'worker_exit' && l.worker === first.worker)
    const replacement = await gateway.logged(
      (l) => l.msg === 'gateway ready' && l.worker !== first.worker && (l.worker as number) > 2,
    )
    expect(replacement.url).toBe(gateway.url)
    expect((await infer(gateway.url)).status).toBe(429)
  }, 30_000)

  it('drains every worker on SIGTERM and exits 0', async () => {
    gateway.child.kill('SIGTERM')
    const [code] = await once(gateway.child, 'exit')
    expect(code).toBe(0)
    // Both live workers (one of them the replacement) drained before the primary stopped.
    const stopped = gateway.lines.filter((l) => l.msg === 'gateway stopped').map((l) => l.worker)
    expect(stopped).toHaveLength(3)
    expect(stopped.at(-1)).toBe('primary')
  }, 60_000)
})

describe('infera gateway --workers: bad input', () => {
  const run = async (...args: string[]) => {
    const child = spawn(process.execPath, ['bin/infera.js', 'gateway', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    const [code] = await once(child, 'exit')
    return { code, stderr }
  }

  it('refuses a worker count that is not a whole number from 1 to 64', async () => {
    const config = join(dir, 'gateway.json')
    for (const workers of ['0', '1.5', '65', 'many']) {
      const { code, stderr } = await run('--config', config, '--workers', workers, '--port', '0')
      expect(code).toBe(2)
      expect(stderr).toContain('--workers must be')
    }
  }, 60_000)

  it('fails in the primary, before forking, on a config that does not exist', async () => {
    const missing = join(dir, 'missing.json')
    const { code, stderr } = await run('--config', missing, '--workers', '2', '--port', '0')
    expect(code).toBe(1)
    expect(stderr).toContain(`config file ${missing} not found`)
    expect(stderr).not.toContain('worker')
  }, 30_000)
})
