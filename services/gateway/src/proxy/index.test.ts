import { describe, expect, it, vi } from 'vitest'
import { ACME_KEY, gateway, infer, OPS_KEY, ok } from '../testing/gateway.ts'
import { hang, scrape, type UpstreamHandler } from '../testing/index.ts'

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
    const noModel = await call('/v2/unknown', {}, OPS_KEY)
    expect(noModel.status).toBe(404)
    expect(await noModel.json()).toEqual({ error: 'no model in path /v2/unknown' })
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
