import { describe, expect, it, vi } from 'vitest'
import { gateway, infer } from '../testing/gateway.ts'
import { scrape, type UpstreamHandler } from '../testing/index.ts'

describe('body limits', () => {
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
})

describe('health and readiness', () => {
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
    await app.healthChecks.stop()
    expect(cleared).toBe(1)
  })

  it('answers not ready once draining, while requests are still served', async () => {
    const { app, call } = gateway()
    expect((await app.request('/v2/health/ready')).status).toBe(200)
    app.drain()
    const draining = await app.request('/v2/health/ready')
    expect(draining.status).toBe(503)
    expect(await draining.json()).toEqual({ ready: false })
    expect((await app.request('/v2/health/live')).status).toBe(200)
    expect((await call('/v2/models/iris/infer', infer)).status).toBe(200)
  })
})

describe('cors', () => {
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
})

describe('errors', () => {
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
