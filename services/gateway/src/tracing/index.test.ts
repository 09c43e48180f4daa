import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTracing, type Tracing } from '../../../shared/tracing/node.ts'
import { gateway, infer, OPS_KEY, ok } from '../testing/gateway.ts'
import type { UpstreamHandler } from '../testing/index.ts'

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_PARENT = '00f067aa0ba902b7'

describe('gateway spans', () => {
  const exporter = new InMemorySpanExporter()
  let tracing: Tracing
  beforeAll(() => {
    tracing = startTracing({ serviceName: 'infera-gateway', exporter }) as Tracing
  })
  afterEach(() => exporter.reset())
  afterAll(() => tracing.shutdown())

  const traced = (handlers?: Record<string, UpstreamHandler>, shadow = false) =>
    gateway(
      shadow
        ? {
            routes: [
              {
                model: 'iris',
                variants: [{ name: 'stable', weight: 100, targets: ['http://a', 'http://b'] }],
                shadow: { targets: ['http://s'], sample: 1 },
              },
            ],
          }
        : {},
      handlers,
      { tracer: tracing.tracer('infera-gateway') },
    )

  async function spans(count: number): Promise<ReadableSpan[]> {
    await tracing.flush()
    const finished = exporter.getFinishedSpans()
    expect(finished.map((s) => s.name).sort()).toHaveLength(count)
    return finished
  }
  const named = (all: ReadableSpan[], name: string) => all.filter((s) => s.name === name)
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

  it("continues the caller's trace: auth, rate limit and the upstream attempt under the gateway's span", async () => {
    const { call, upstream } = traced()
    const response = await call(
      '/v2/models/iris/infer',
      {
        ...infer,
        headers: { ...infer.headers, traceparent: `00-${CALLER_TRACE}-${CALLER_PARENT}-01` },
      },
      OPS_KEY,
    )
    expect(response.status).toBe(200)
    const all = await spans(3)
    const [server] = named(all, 'gateway')
    expect(server?.spanContext().traceId).toBe(CALLER_TRACE)
    expect(parentOf(server as ReadableSpan)).toBe(CALLER_PARENT)
    expect(server?.attributes).toMatchObject({
      'http.response.status_code': 200,
      'infera.tenant': 'ops',
      'infera.route': 'iris',
      'infera.variant': 'stable',
    })
    const [auth] = named(all, 'auth')
    const [attempt] = named(all, 'upstream')
    for (const child of [auth, attempt]) {
      expect(child?.spanContext().traceId).toBe(CALLER_TRACE)
      expect(parentOf(child as ReadableSpan)).toBe(server?.spanContext().spanId)
    }
    // The model server's parent is the attempt that reached it.
    const sent = upstream.calls[0]?.headers.get('traceparent')
    expect(sent).toBe(`00-${CALLER_TRACE}-${attempt?.spanContext().spanId}-01`)
    expect(attempt?.attributes).toMatchObject({
      'url.full': 'http://a/v2/models/iris/infer',
      'http.response.status_code': 200,
      attempt: 1,
    })
  })

  it('a retry is a second upstream span; a failed attempt is marked an error', async () => {
    const refused: UpstreamHandler = () => {
      throw new TypeError('connection refused')
    }
    const { call } = traced({ 'http://a': refused, 'http://b': ok })
    expect((await call('/v2/models/iris/infer', infer, OPS_KEY)).status).toBe(200)
    const attempts = named(await spans(3 + 1), 'upstream').sort(
      (x, y) => (x.attributes.attempt as number) - (y.attributes.attempt as number),
    )
    expect(attempts.map((s) => s.attributes['url.full'])).toEqual([
      'http://a/v2/models/iris/infer',
      'http://b/v2/models/iris/infer',
    ])
    expect(attempts[0]?.status.code).toBe(2) // ERROR
    expect(attempts[1]?.status.code).not.toBe(2)
  })

  it('records the rate limit step and a shadow copy', async () => {
    const { call } = traced({ 'http://a': ok, 'http://b': ok, 'http://s': ok }, true)
    const withLimits = gateway({ rate_limits: { default: { rate: 10, burst: 10 } } }, undefined, {
      tracer: tracing.tracer('infera-gateway'),
    })
    expect((await withLimits.call('/v2/models/iris/infer', infer, OPS_KEY)).status).toBe(200)
    expect(named(await spans(4), 'rate_limit')).toHaveLength(1)
    exporter.reset()
    expect((await call('/v2/models/iris/infer', infer, OPS_KEY)).status).toBe(200)
    // The shadow copy goes once the primary answered; give it that turn.
    await new Promise((resolve) => setTimeout(resolve, 20))
    const [shadow] = named(await spans(4), 'shadow')
    expect(shadow?.attributes['url.full']).toBe('http://s/v2/models/iris/infer')
  })

  it('starts a trace of its own for a malformed or oversized traceparent', async () => {
    const { call, upstream } = traced()
    for (const traceparent of ['00-not-hex-01', `00-${'a'.repeat(4000)}-${CALLER_PARENT}-01`]) {
      const response = await call(
        '/v2/models/iris/infer',
        { ...infer, headers: { ...infer.headers, traceparent } },
        OPS_KEY,
      )
      expect(response.status).toBe(200)
    }
    const servers = named(await spans(6), 'gateway')
    for (const server of servers) expect(server.parentSpanContext).toBeUndefined()
    const sent = upstream.calls.map((c) => c.headers.get('traceparent') ?? '')
    for (const header of sent) expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
  })

  it('a refused request still ends its span, with the 401', async () => {
    const { call } = traced()
    expect((await call('/v2/models/iris/infer', infer, null)).status).toBe(401)
    const [server] = named(await spans(2), 'gateway')
    expect(server?.attributes['http.response.status_code']).toBe(401)
    expect(server?.status.code).not.toBe(2)
  })
})

describe('without a tracer', () => {
  it("passes the caller's trace on with a new parent id and records nothing", async () => {
    const { call, upstream } = gateway()
    await call('/v2/models/iris/infer', {
      ...infer,
      headers: { ...infer.headers, traceparent: `00-${CALLER_TRACE}-${CALLER_PARENT}-01` },
    })
    const sent = upstream.calls[0]?.headers.get('traceparent') ?? ''
    expect(sent).toMatch(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-01$`))
    expect(sent).not.toContain(CALLER_PARENT)
  })
})
