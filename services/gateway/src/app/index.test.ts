import { describe, expect, it, vi } from 'vitest'
import { hashApiKey } from '../auth/index.ts'
import { type GatewayConfigFile, validateGatewayConfig } from '../config/index.ts'
import {
  fakeUpstreams,
  hang,
  METRICS_TOKEN,
  manualClock,
  scrape,
  seededRandom,
  TEST_METRICS,
  type UpstreamHandler,
} from '../testing/index.ts'
import { createGatewayApp, type GatewayDeps } from './index.ts'

const ACME_KEY = 'acme-secret-key'
const OPS_KEY = 'ops-secret-key'
const apiKeys = [
  { tenant: 'acme', sha256: await hashApiKey(ACME_KEY), models: ['iris'] },
  { tenant: 'ops', sha256: await hashApiKey(OPS_KEY), models: ['*'] },
]

const ok: UpstreamHandler = () => Response.json({ ok: true })

function gateway(
  overrides: Partial<GatewayConfigFile> = {},
  handlers: Record<string, UpstreamHandler> = { 'http://a': ok, 'http://b': ok },
  deps: GatewayDeps = {},
) {
  const upstream = fakeUpstreams(handlers)
  const clock = manualClock()
  const logs: Record<string, unknown>[] = []
  const config = validateGatewayConfig(
    {
      routes: [
        {
          model: 'iris',
          variants: [{ name: 'stable', weight: 100, targets: ['http://a', 'http://b'] }],
        },
      ],
      auth: { api_keys: apiKeys },
      metrics: TEST_METRICS,
      ...overrides,
    },
    'test config',
  )
  const app = createGatewayApp(config, {
    fetch: upstream.fetch,
    now: clock.now,
    random: seededRandom(42),
    log: (line) => logs.push(line),
    ...deps,
  })
  const call = (path: string, init: RequestInit = {}, key: string | null = ACME_KEY) => {
    const headers = new Headers(init.headers)
    if (key !== null) headers.set('authorization', `Bearer ${key}`)
    return app.request(path, { ...init, headers })
  }
  return { app, upstream, clock, logs, call }
}

const infer = {
  method: 'POST',
  body: '{"inputs":[]}',
  headers: { 'content-type': 'application/json' },
}

describe('proxying', () => {
  it('forwards an OIP inference unchanged and names the variant', async () => {
    const { call, upstream } = gateway(
      {},
      {
        'http://a': () =>
          new Response('binary-ish', {
            status: 200,
            headers: {
              'content-type': 'application/octet-stream',
              'inference-header-content-length': '42',
              'x-internal': 'secret',
            },
          }),
      },
    )
    const response = await call('/v2/models/iris/versions/2/infer?trace=1', {
      method: 'POST',
      body: 'payload-bytes',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': '7',
      },
    })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('binary-ish')
    expect(response.headers.get('x-infera-variant')).toBe('stable')
    expect(response.headers.get('inference-header-content-length')).toBe('42')
    expect(response.headers.get('content-type')).toBe('application/octet-stream')
    expect(response.headers.get('x-internal')).toBeNull()
    const sent = upstream.calls[0]
    expect(sent?.method).toBe('POST')
    expect(sent?.url).toBe('http://a/v2/models/iris/versions/2/infer?trace=1')
    expect(await sent?.text()).toBe('payload-bytes')
    expect(sent?.headers.get('content-type')).toBe('application/octet-stream')
    expect(sent?.headers.get('inference-header-content-length')).toBe('7')
    expect(sent?.headers.get('authorization')).toBeNull()
  })

  it('forwards KServe V1 predict and metadata requests, and the upstream status', async () => {
    const echo: UpstreamHandler = (r) =>
      Response.json({ path: new URL(r.url).pathname }, { status: 400 })
    const { call, upstream } = gateway({}, { 'http://a': echo, 'http://b': echo })
    const predict = await call('/v1/models/iris:predict', infer)
    expect(predict.status).toBe(400)
    expect(await predict.json()).toEqual({ path: '/v1/models/iris:predict' })
    const metadata = await call('/v1/models/iris')
    expect(metadata.status).toBe(400)
    expect(await metadata.json()).toEqual({ path: '/v1/models/iris' })
    expect(upstream.calls.map((c) => c.method)).toEqual(['POST', 'GET'])
  })

  it('balances round robin over the targets of a variant', async () => {
    const { call, upstream } = gateway()
    for (let i = 0; i < 4; i++) await call('/v2/models/iris/ready')
    expect(upstream.calls.map((c) => new URL(c.url).origin)).toEqual([
      'http://a',
      'http://b',
      'http://a',
      'http://b',
    ])
  })

  it('404s a model without a route and a path without a model', async () => {
    const { call, upstream } = gateway()
    const noRoute = await call('/v2/models/mnist/infer', infer, OPS_KEY)
    expect(noRoute.status).toBe(404)
    expect(await noRoute.json()).toEqual({ error: 'no route for model mnist' })
    expect((await call('/v2/repository/index', {}, OPS_KEY)).status).toBe(404)
    expect(upstream.calls).toHaveLength(0)
  })

  it('sends other models to the catch-all route', async () => {
    const { call, upstream } = gateway(
      {
        routes: [
          { model: 'iris', variants: [{ name: 'v', weight: 100, targets: ['http://a'] }] },
          { model: '*', variants: [{ name: 'any', weight: 100, targets: ['http://b'] }] },
        ],
      },
      { 'http://a': ok, 'http://b': ok },
    )
    const response = await call('/v2/models/mnist/infer', infer, OPS_KEY)
    expect(response.headers.get('x-infera-variant')).toBe('any')
    expect(upstream.calls[0]?.url).toBe('http://b/v2/models/mnist/infer')
  })
})

describe('auth and scope', () => {
  it('401s a request without a key or with a bad key, without reaching upstream', async () => {
    const { call, upstream } = gateway()
    const missing = await call('/v2/models/iris/infer', infer, null)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    const bad = await call('/v2/models/iris/infer', infer, 'wrong-key')
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({ error: 'unknown API key' })
    expect(upstream.calls).toHaveLength(0)
  })

  it('403s a model outside the tenant scope', async () => {
    const { call, upstream } = gateway({
      routes: [{ model: '*', variants: [{ name: 'v', weight: 100, targets: ['http://a'] }] }],
    })
    const response = await call('/v2/models/mnist/infer', infer, ACME_KEY)
    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({ error: 'tenant acme may not use model mnist' })
    expect((await call('/v2/models/mnist/infer', infer, OPS_KEY)).status).toBe(200)
    expect(upstream.calls).toHaveLength(1)
  })

  it('serves the open paths without credentials', async () => {
    const { app } = gateway()
    expect((await app.request('/v2/health/live')).status).toBe(200)
    expect((await app.request('/v2/health/ready')).status).toBe(200)
  })

  it('serves /metrics, which names tenants and targets, to scrape tokens only', async () => {
    const { app, call } = gateway()
    await call('/v2/models/iris/infer', infer)
    const anonymous = await app.request('/metrics')
    expect(anonymous.status).toBe(401)
    expect(await anonymous.text()).not.toContain('acme')
    // A tenant's key is good for inference, not for reading about the other tenants.
    expect((await call('/metrics', {}, ACME_KEY)).status).toBe(401)
    expect((await call('/metrics', {}, METRICS_TOKEN)).status).toBe(200)
    const closed = gateway({ metrics: undefined })
    expect((await closed.call('/metrics', {}, METRICS_TOKEN)).status).toBe(403)
    const open = gateway({ auth: { api_keys: apiKeys, open_paths: ['/metrics'] } })
    expect((await open.app.request('/metrics')).status).toBe(200)
  })
})

/** A body that never ends, counting the chunks anything pulled from it. */
function endlessBody() {
  const pulled = { chunks: 0 }
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled.chunks += 1
      controller.enqueue(new Uint8Array(64 * 1024))
    },
  })
  return { pulled, init: { method: 'POST', body, duplex: 'half' } as RequestInit }
}

describe('limits', () => {
  it('413s a declared body over the limit', async () => {
    const { call, upstream } = gateway({ limits: { max_body_bytes: 8 } })
    const response = await call('/v2/models/iris/infer', {
      method: 'POST',
      body: '0123456789',
      headers: { 'content-length': '10' },
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({ error: 'request body is larger than 8 bytes' })
    expect(upstream.calls).toHaveLength(0)
  })

  it('413s a streamed body over the limit', async () => {
    const { call, upstream } = gateway({ limits: { max_body_bytes: 8 } })
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('01234'))
        controller.enqueue(new TextEncoder().encode('56789'))
        controller.close()
      },
    })
    const response = await call('/v2/models/iris/infer', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(upstream.calls).toHaveLength(0)
  })

  it('refuses a caller without credentials before reading any of its streamed body', async () => {
    const { call, upstream } = gateway()
    const { pulled, init } = endlessBody()
    expect((await call('/v2/models/iris/infer', init, null)).status).toBe(401)
    // What a stream holds before anyone reads: its first chunk, at most.
    expect(pulled.chunks).toBeLessThanOrEqual(1)
    expect(upstream.calls).toHaveLength(0)
  })

  it('refuses a tenant over its bucket before reading any of its streamed body', async () => {
    const { call } = gateway({ rate_limits: { default: { rate: 0.001, burst: 1 } } })
    expect((await call('/v2/models/iris/ready')).status).toBe(200)
    const { pulled, init } = endlessBody()
    expect((await call('/v2/models/iris/infer', init)).status).toBe(429)
    expect(pulled.chunks).toBeLessThanOrEqual(1)
  })

  it('400s a body that breaks off or is malformed on the wire, and counts it as 400', async () => {
    const { call, app } = gateway()
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('aborted'))
      },
    })
    const response = await call('/v2/models/iris/infer', {
      method: 'POST',
      body: broken,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: 'the request body could not be read: aborted',
    })
    const samples = await scrape(app)
    expect([...samples.keys()].filter((key) => key.includes('status="500"'))).toEqual([])
  })

  it('lets requests through, counted and logged once, when the rate limit store fails', async () => {
    const down = { take: () => Promise.reject(new Error('connection refused')) }
    const { call, app, logs } = gateway(
      { rate_limits: { default: { rate: 1, burst: 1 } } },
      undefined,
      { rateLimitStore: down },
    )
    for (let i = 0; i < 3; i++) {
      const response = await call('/v2/models/iris/ready')
      expect(response.status).toBe(200)
      expect(response.headers.get('ratelimit-limit')).toBeNull()
    }
    expect((await scrape(app)).get('infera_gateway_rate_limit_errors_total')).toBe(3)
    expect(logs.filter((line) => line.event === 'rate_limit_store')).toEqual([
      { event: 'rate_limit_store', ok: false, error: 'Error: connection refused' },
    ])
  })

  it('gives up on a store that does not answer within timeout_ms, or 503s when told to', async () => {
    const stalled = { take: () => new Promise<never>(() => {}) }
    const open = gateway(
      { rate_limits: { default: { rate: 1, burst: 1 }, timeout_ms: 5 } },
      undefined,
      { rateLimitStore: stalled },
    )
    expect((await open.call('/v2/models/iris/ready')).status).toBe(200)
    const closed = gateway(
      { rate_limits: { default: { rate: 1, burst: 1 }, timeout_ms: 5, failure_mode_deny: true } },
      undefined,
      { rateLimitStore: stalled },
    )
    const refused = await closed.call('/v2/models/iris/ready')
    expect(refused.status).toBe(503)
    expect(await refused.json()).toEqual({ error: 'the rate limiter is unavailable' })
    expect((await scrape(closed.app)).get('infera_gateway_rate_limit_errors_total')).toBe(1)
  })

  it('429s a tenant over its bucket with Retry-After and RateLimit headers', async () => {
    const { call, app, clock, upstream } = gateway({
      rate_limits: { default: { rate: 1, burst: 2 }, tenants: { ops: { rate: 100, burst: 100 } } },
    })
    const first = await call('/v2/models/iris/ready')
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit-limit')).toBe('2')
    expect(first.headers.get('ratelimit-remaining')).toBe('1')
    expect((await call('/v2/models/iris/ready')).status).toBe(200)
    const limited = await call('/v2/models/iris/ready')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
    expect(limited.headers.get('ratelimit-remaining')).toBe('0')
    expect(await limited.json()).toEqual({ error: 'rate limit exceeded for tenant acme' })
    expect((await call('/v2/models/iris/ready', {}, OPS_KEY)).status).toBe(200)
    clock.advance(1000)
    expect((await call('/v2/models/iris/ready')).status).toBe(200)
    expect(upstream.calls).toHaveLength(4)
    expect((await scrape(app)).get('infera_gateway_rate_limited_total{tenant="acme"}')).toBe(1)
  })
})

describe('resilience', () => {
  it('502s when every target is unreachable, after retrying another one', async () => {
    const { call, app, upstream } = gateway({}, {})
    const response = await call('/v2/models/iris/infer', infer)
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual({ error: 'upstream is unreachable' })
    expect(upstream.calls.map((c) => new URL(c.url).origin)).toEqual(['http://a', 'http://b'])
    expect((await scrape(app)).get('infera_gateway_retries_total{route="iris"}')).toBe(1)
  })

  it('502s an upstream answer over max_response_bytes, naming the limit', async () => {
    const big: UpstreamHandler = () => Response.json({ outputs: 'x'.repeat(4096) })
    const { call } = gateway({ limits: { max_response_bytes: 1024 } }, { 'http://a': big })
    const response = await call('/v2/models/iris/infer', infer)
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual({ error: 'upstream response exceeds 1024 bytes' })
  })

  it('retries a 503 on another target but never a 500 or a 4xx', async () => {
    const busy = gateway(
      {},
      { 'http://a': () => new Response(null, { status: 503 }), 'http://b': ok },
    )
    const retried = await busy.call('/v2/models/iris/infer', infer)
    expect(retried.status).toBe(200)
    expect(busy.upstream.calls).toHaveLength(2)
    for (const status of [500, 422]) {
      const failing = gateway(
        {},
        { 'http://a': () => new Response(null, { status }), 'http://b': ok },
      )
      expect((await failing.call('/v2/models/iris/infer', infer)).status).toBe(status)
      expect(failing.upstream.calls).toHaveLength(1)
    }
  })

  it('504s an upstream slower than the route timeout', async () => {
    const { call, upstream } = gateway(
      {
        routes: [
          {
            model: 'iris',
            timeout_ms: 30,
            variants: [{ name: 'v', weight: 100, targets: ['http://a', 'http://b'] }],
          },
        ],
      },
      { 'http://a': hang, 'http://b': ok },
    )
    const response = await call('/v2/models/iris/infer', infer)
    expect(response.status).toBe(504)
    expect(await response.json()).toEqual({ error: 'upstream did not answer within 30 ms' })
    expect(upstream.calls).toHaveLength(1)
  })

  it('opens a breaker after consecutive failures, 503s, then recovers through one probe', async () => {
    let up = false
    const { call, app, clock, upstream } = gateway(
      {
        routes: [
          {
            model: 'iris',
            retries: 0,
            variants: [{ name: 'v', weight: 100, targets: ['http://a'] }],
          },
        ],
        breaker: { failures: 2, open_ms: 5000 },
      },
      {
        'http://a': () => {
          if (!up) throw new TypeError('fetch failed')
          return ok(new Request('http://a'))
        },
      },
    )
    const breakerGauge = async () =>
      (await scrape(app)).get('infera_gateway_breaker_state{target="http://a"}')
    expect(await breakerGauge()).toBe(0)
    expect((await call('/v2/models/iris/infer', infer)).status).toBe(502)
    expect((await call('/v2/models/iris/infer', infer)).status).toBe(502)
    expect(await breakerGauge()).toBe(2)
    const open = await call('/v2/models/iris/infer', infer)
    expect(open.status).toBe(503)
    expect(open.headers.get('retry-after')).toBe('5')
    expect(upstream.calls).toHaveLength(2)
    expect((await app.request('/v2/health/ready')).status).toBe(503)

    clock.advance(5000)
    expect(await breakerGauge()).toBe(1)
    up = true
    const probe = await call('/v2/models/iris/infer', infer)
    expect(probe.status).toBe(200)
    expect(upstream.calls).toHaveLength(3)
    expect(await breakerGauge()).toBe(0)
    expect((await app.request('/v2/health/ready')).status).toBe(200)
  })

  it('reports readiness from the active health checks', async () => {
    const healthy = new Set(['http://a'])
    const health: UpstreamHandler = (r) =>
      new Response(null, { status: healthy.has(new URL(r.url).origin) ? 200 : 503 })
    const { app, upstream } = gateway(
      {
        routes: [
          { model: 'iris', variants: [{ name: 'v', weight: 100, targets: ['http://a'] }] },
          {
            model: 'wine',
            variants: [{ name: 'v', weight: 100, targets: ['http://b', 'http://c'] }],
          },
        ],
        health_checks: { unhealthy_after: 1, healthy_after: 1 },
      },
      { 'http://a': health, 'http://b': health, 'http://c': health },
    )
    expect((await app.request('/v2/health/ready')).status).toBe(200)
    await app.healthChecks.checkNow()
    expect(upstream.calls.map((c) => new URL(c.url).pathname)).toContain('/v2/health/ready')
    const notReady = await app.request('/v2/health/ready')
    expect(notReady.status).toBe(503)
    expect(await notReady.json()).toEqual({ ready: false })
    const samples = await scrape(app)
    expect(samples.get('infera_gateway_upstream_healthy{target="http://a"}')).toBe(1)
    expect(samples.get('infera_gateway_upstream_healthy{target="http://b"}')).toBe(0)
    healthy.add('http://c')
    await app.healthChecks.checkNow()
    expect((await app.request('/v2/health/ready')).status).toBe(200)
    expect((await app.request('/v2/health/live')).status).toBe(200)
  })

  it('runs the health check loop on the injected timers between start and stop', async () => {
    const scheduled: (() => void)[] = []
    let cleared = 0
    const timers = {
      setTimeout: (callback: () => void) => scheduled.push(callback),
      clearTimeout: () => {
        cleared++
      },
    }
    const { app, upstream } = gateway({ health_checks: { interval_ms: 1000 } }, undefined, {
      timers,
    })
    expect(scheduled).toHaveLength(0)
    app.healthChecks.start()
    scheduled.shift()?.()
    await vi.waitFor(() => expect(scheduled).toHaveLength(1))
    expect(upstream.calls.map((c) => c.url).sort()).toEqual([
      'http://a/v2/health/ready',
      'http://b/v2/health/ready',
    ])
    app.healthChecks.stop()
    expect(cleared).toBe(1)
  })

  it('lets only one probe through a half-open breaker', async () => {
    let release = () => {}
    const slow = new Promise<void>((resolve) => {
      release = resolve
    })
    const { call, clock, upstream } = gateway(
      {
        routes: [
          {
            model: 'iris',
            retries: 0,
            variants: [{ name: 'v', weight: 100, targets: ['http://a'] }],
          },
        ],
        breaker: { failures: 1, open_ms: 1000 },
      },
      {
        'http://a': async () => {
          if (upstream.calls.length === 1) throw new TypeError('fetch failed')
          await slow
          return ok(new Request('http://a'))
        },
      },
    )
    expect((await call('/v2/models/iris/infer', infer)).status).toBe(502)
    clock.advance(1000)
    const probe = call('/v2/models/iris/infer', infer)
    await vi.waitFor(() => expect(upstream.calls).toHaveLength(2))
    expect((await call('/v2/models/iris/infer', infer)).status).toBe(503)
    release()
    expect((await probe).status).toBe(200)
    expect((await call('/v2/models/iris/infer', infer)).status).toBe(200)
  })

  it('prefers healthy targets over unhealthy ones', async () => {
    const { app, call, upstream } = gateway(
      { health_checks: { unhealthy_after: 1, healthy_after: 1, path: '/health' } },
      {
        'http://a': (r) => new Response(null, { status: r.url.endsWith('/health') ? 503 : 200 }),
        'http://b': ok,
      },
    )
    await app.healthChecks.checkNow()
    upstream.calls.length = 0
    for (let i = 0; i < 3; i++) await call('/v2/models/iris/ready')
    expect(upstream.calls.map((c) => new URL(c.url).origin)).toEqual([
      'http://b',
      'http://b',
      'http://b',
    ])
  })
})

describe('variants', () => {
  const canaryRoute = (extra: object = {}) => ({
    routes: [
      {
        model: 'iris',
        variants: [
          { name: 'stable', weight: 95, targets: ['http://a'] },
          { name: 'canary', weight: 5, targets: ['http://b'] },
        ],
        ...extra,
      },
    ],
  })

  it('splits traffic within 2 points of the canary weight over 10,000 requests', async () => {
    const { call, upstream } = gateway(canaryRoute(), undefined, { random: seededRandom(2024) })
    const counts = new Map<string, number>()
    for (let i = 0; i < 10_000; i++) {
      const variant = (await call('/v2/models/iris/ready')).headers.get('x-infera-variant') ?? ''
      counts.set(variant, (counts.get(variant) ?? 0) + 1)
    }
    const canary = counts.get('canary') ?? 0
    expect(Math.abs(canary / 100 - 5)).toBeLessThanOrEqual(2)
    expect(canary + (counts.get('stable') ?? 0)).toBe(10_000)
    expect(upstream.calls.filter((c) => c.url.startsWith('http://b/'))).toHaveLength(canary)
  })

  it('keeps one sticky header value on one variant', async () => {
    const { call } = gateway(canaryRoute({ sticky: { header: 'x-user-id' } }))
    const seen = new Map<string, Set<string>>()
    for (let user = 0; user < 200; user++) {
      for (let repeat = 0; repeat < 3; repeat++) {
        const response = await call('/v2/models/iris/ready', {
          headers: { 'x-user-id': `u${user}` },
        })
        const variants = seen.get(`u${user}`) ?? new Set()
        variants.add(response.headers.get('x-infera-variant') ?? '')
        seen.set(`u${user}`, variants)
      }
    }
    expect([...seen.values()].every((variants) => variants.size === 1)).toBe(true)
    const canaryUsers = [...seen.values()].filter((v) => v.has('canary')).length
    expect(canaryUsers).toBeGreaterThan(0)
    expect(canaryUsers).toBeLessThan(40)
  })
})

describe('versions and live routes', () => {
  const path = (c: Request) => new URL(c.url).pathname

  it('pins a variant to a model version on both protocols, unless the client named one', async () => {
    const { call, upstream } = gateway({
      routes: [
        {
          model: 'iris',
          variants: [{ name: 'v2', weight: 100, targets: ['http://a'], version: '2' }],
        },
      ],
    })
    await call('/v2/models/iris/infer', infer)
    await call('/v1/models/iris:predict', infer)
    await call('/v2/models/iris/versions/1/infer?x=1', infer)
    expect(upstream.calls.map((c) => `${path(c)}${new URL(c.url).search}`)).toEqual([
      '/v2/models/iris/versions/2/infer',
      '/v1/models/iris/versions/2:predict',
      '/v2/models/iris/versions/1/infer?x=1',
    ])
  })

  it('moves traffic with setRoutes while serving, new targets included', async () => {
    const { app, call, upstream } = gateway({}, { 'http://a': ok, 'http://c': ok })
    await call('/v2/models/iris/ready')
    app.setRoutes([
      { model: 'iris', variants: [{ name: 'next', weight: 100, targets: ['http://c'] }] },
    ])
    const response = await call('/v2/models/iris/ready')
    expect(response.headers.get('x-infera-variant')).toBe('next')
    expect(upstream.calls.map((c) => new URL(c.url).origin)).toEqual(['http://a', 'http://c'])
    expect(app.getRoutes()[0]?.variants[0]?.name).toBe('next')
    expect((await scrape(app)).get('infera_gateway_breaker_state{target="http://c"}')).toBe(0)
  })

  it('rejects bad routes naming the key, and keeps the old ones', async () => {
    const { app, call } = gateway()
    expect(() =>
      app.setRoutes([
        { model: 'iris', variants: [{ name: 'x', weight: 50, targets: ['http://a'] }] },
      ]),
    ).toThrow(/routes is invalid: 0\.variants: weights sum to 50, not 100/)
    expect(() => app.setRoutes([{ model: 'iris', variants: [] }])).toThrow(/0\.variants/)
    expect((await call('/v2/models/iris/ready')).headers.get('x-infera-variant')).toBe('stable')
  })
})

describe('shadow', () => {
  it('mirrors a sampled share without delaying the client and counts disagreements', async () => {
    const shadowInputs: number[] = []
    let releaseShadow = () => {}
    const gate = new Promise<void>((resolve) => {
      releaseShadow = resolve
    })
    const outputs = (data: number[]) =>
      Response.json({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data }] })
    const { app, upstream } = gateway(
      {
        routes: [
          {
            model: 'iris',
            variants: [{ name: 'v', weight: 100, targets: ['http://a'] }],
            shadow: { targets: ['http://shadow'], sample: 0.25 },
          },
        ],
      },
      {
        'http://a': () => outputs([1]),
        'http://shadow': async (r) => {
          const { x } = (await r.json()) as { x: number }
          shadowInputs.push(x)
          await gate
          return outputs([x])
        },
      },
    )
    const pending: Promise<unknown>[] = []
    const executionCtx = {
      waitUntil: (p: Promise<unknown>) => pending.push(p),
      passThroughOnException: () => {},
      props: {},
    }
    for (let i = 0; i < 400; i++) {
      const body = JSON.stringify({ x: i % 2 })
      const response = await app.request(
        '/v2/models/iris/infer',
        { method: 'POST', body, headers: { authorization: `Bearer ${ACME_KEY}` } },
        undefined,
        executionCtx,
      )
      expect(await response.json()).toEqual({
        outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: [1] }],
      })
    }
    // Every client response came back while the shadow requests were still held.
    expect(pending.length).toBeGreaterThan(60)
    expect(pending.length).toBeLessThan(140)
    releaseShadow()
    await Promise.all(pending)
    const shadowCalls = upstream.calls.filter((c) => c.url.startsWith('http://shadow/'))
    expect(shadowCalls).toHaveLength(pending.length)
    expect(shadowCalls[0]?.url).toBe('http://shadow/v2/models/iris/infer')
    const samples = await scrape(app)
    expect(samples.get('infera_gateway_shadow_requests_total{route="iris"}')).toBe(pending.length)
    const disagreements =
      samples.get('infera_gateway_shadow_disagreements_total{route="iris"}') ?? 0
    // Shadows answer with the request's x: those with x = 0 disagree with the primary's 1.
    expect(disagreements).toBe(shadowInputs.filter((x) => x === 0).length)
    expect(disagreements).toBeGreaterThan(0)
    expect(samples.get('infera_gateway_shadow_duration_seconds_count{route="iris"}')).toBe(
      pending.length,
    )
  })
})

describe('cors, ids and tracing', () => {
  it('answers a CORS preflight from an allowed origin without credentials', async () => {
    const { app } = gateway({
      cors: { origins: ['https://app.example'], headers: ['authorization', 'content-type'] },
    })
    const preflight = await app.request('/v2/models/iris/infer', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization')
    const other = await app.request('/v2/models/iris/infer', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('keeps a client request id and makes one otherwise, upstream and in the response', async () => {
    const { call, upstream } = gateway()
    const kept = await call('/v2/models/iris/ready', { headers: { 'x-request-id': 'abc-123' } })
    expect(kept.headers.get('x-request-id')).toBe('abc-123')
    expect(upstream.calls[0]?.headers.get('x-request-id')).toBe('abc-123')
    const made = await call('/v2/models/iris/ready')
    const id = made.headers.get('x-request-id') ?? ''
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(upstream.calls[1]?.headers.get('x-request-id')).toBe(id)
    expect(
      (
        await call('/v2/models/iris/ready', { headers: { 'x-request-id': 'bad id\n' } })
      ).headers.get('x-request-id'),
    ).not.toBe('bad id\n')
  })

  it('continues a W3C trace with a new parent id, or starts one', async () => {
    const { call, upstream } = gateway()
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    await call('/v2/models/iris/ready', { headers: { traceparent: incoming, tracestate: 'k=v' } })
    const sent = upstream.calls[0]?.headers.get('traceparent') ?? ''
    expect(sent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/)
    expect(sent).not.toBe(incoming)
    expect(upstream.calls[0]?.headers.get('tracestate')).toBe('k=v')
    await call('/v2/models/iris/ready', {
      headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
    })
    const started = upstream.calls[1]?.headers.get('traceparent') ?? ''
    expect(started).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/)
    expect(started).not.toContain('00000000000000000000000000000000')
  })
})

describe('observability', () => {
  it('writes one access log line per request', async () => {
    const { call, logs } = gateway()
    await call('/v2/models/iris/infer', {
      ...infer,
      headers: { ...infer.headers, 'x-request-id': 'r1' },
    })
    await call('/v2/models/iris/infer', infer, null)
    const access = logs.filter((line) => line.event === 'access')
    expect(access).toHaveLength(2)
    expect(access[0]).toMatchObject({
      method: 'POST',
      path: '/v2/models/iris/infer',
      status: 200,
      duration_ms: 0,
      tenant: 'acme',
      route: 'iris',
      variant: 'stable',
      upstream: 'http://a',
      request_id: 'r1',
    })
    expect(access[1]).toMatchObject({ status: 401, tenant: '', route: '' })
  })

  it('exposes request counts and latency histograms in parseable text', async () => {
    const { call, app } = gateway()
    await call('/v2/models/iris/infer', infer)
    await call('/v2/models/iris/infer', infer)
    await call('/v2/models/iris/infer', infer, 'bad')
    const samples = await scrape(app)
    expect(
      samples.get(
        'infera_gateway_requests_total{route="iris",tenant="acme",variant="stable",status="200"}',
      ),
    ).toBe(2)
    expect(
      samples.get('infera_gateway_requests_total{route="",tenant="",variant="",status="401"}'),
    ).toBe(1)
    expect(
      samples.get('infera_gateway_upstream_duration_seconds_count{route="iris",variant="stable"}'),
    ).toBe(2)
    expect(
      samples.get(
        'infera_gateway_request_duration_seconds_bucket{route="iris",variant="stable",le="+Inf"}',
      ),
    ).toBe(2)
  })

  it('answers 500 with a JSON error when something throws', async () => {
    const { call, logs, upstream } = gateway({}, undefined, {
      random: () => {
        throw new Error('no randomness')
      },
    })
    const response = await call('/v2/models/iris/ready', { headers: { 'x-request-id': 'r9' } })
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ error: 'internal gateway error' })
    expect(upstream.calls).toHaveLength(0)
    expect(logs).toContainEqual({
      event: 'error',
      request_id: 'r9',
      error: 'Error: no randomness',
    })
  })
})
