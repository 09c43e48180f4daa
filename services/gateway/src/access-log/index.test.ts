import { describe, expect, it } from 'vitest'
import { gateway, infer } from '../testing/gateway.ts'
import { scrape } from '../testing/index.ts'

describe('request ids and tracing', () => {
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

describe('access log and metrics', () => {
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
})
