/** Test doubles for the gateway's injected environment, and a strict reader of its metrics. */
import { sendWithFetch } from '../upstream/index.ts'

/** A seeded uniform random in [0, 1) (mulberry32), so weighted splits are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export type UpstreamHandler = (request: Request) => Response | Promise<Response>

/**
 * A fetch (and a `Send` over it) that dispatches on the target's origin and records each request.
 * Origins without a handler fail the way an unreachable host does: fetch rejects with a TypeError.
 */
export function fakeUpstreams(handlers: Record<string, UpstreamHandler>) {
  const calls: Request[] = []
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    calls.push(request)
    const handler = handlers[new URL(request.url).origin]
    if (!handler) throw new TypeError('fetch failed: connection refused')
    return handler(request)
  }
  return { fetch: fetch as typeof globalThis.fetch, send: sendWithFetch(fetch), calls }
}

/** An upstream that never answers, until the request's signal aborts. */
export const hang: UpstreamHandler = (request) =>
  new Promise((_, reject) => {
    request.signal.addEventListener('abort', () => reject(request.signal.reason))
  })

/** A controllable clock in milliseconds. */
export function manualClock(start = 1_700_000_000_000) {
  let time = start
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms
    },
  }
}

/** The scrape token test configs accept (`metrics: TEST_METRICS`), and what `scrape` sends. */
export const METRICS_TOKEN = 'test-metrics-token'
export const TEST_METRICS = {
  sha256: ['ce0343e6cfc5c4885d7162eecebb80558968e367c3a0b317288e5fd19d1715bf'],
}

/**
 * The samples `/metrics` exposes, keyed `name{labels}` as written, read with `METRICS_TOKEN`.
 * Strict: a refusal, a wrong content type or a malformed sample line throws.
 */
export async function scrape(app: {
  request: (path: string, init: RequestInit) => Response | Promise<Response>
}): Promise<Map<string, number>> {
  const response = await app.request('/metrics', {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  })
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
  const type = response.headers.get('content-type')
  // Spelled out, not METRICS_CONTENT_TYPE: the format Prometheus expects, whatever the code says.
  if (type !== 'text/plain; version=0.0.4; charset=utf-8')
    throw new Error(`/metrics answered content-type ${type}`)
  const samples = new Map<string, number>()
  const sample = /^([a-zA-Z_:][\w:]*)(\{(?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || /^# (HELP|TYPE) /.test(line)) continue
    const match = sample.exec(line)
    if (!match) throw new Error(`malformed sample line: ${line}`)
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]))
  }
  return samples
}
