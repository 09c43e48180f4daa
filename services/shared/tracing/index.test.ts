import { readFileSync } from 'node:fs'
import { SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RequestTrace, recordError, SpanKind } from './index.ts'
import { startTracing, type Tracing, tracingConfigured } from './node.ts'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'
const traceparent = (flags = '01') => `00-${TRACE_ID}-${PARENT_ID}-${flags}`

let tracing: Tracing | undefined
// One per test: shutting the SDK down stops its exporter.
let exporter: InMemorySpanExporter

afterEach(async () => {
  await tracing?.shutdown()
  tracing = undefined
  vi.unstubAllEnvs()
})

function start(): Tracing {
  exporter = new InMemorySpanExporter()
  tracing = startTracing({ serviceName: 'infera-test', exporter }) as Tracing
  return tracing
}

async function spans(): Promise<ReadableSpan[]> {
  await tracing?.flush()
  return exporter.getFinishedSpans()
}

const request = (headers: Record<string, string> = {}) =>
  new Request('http://infera.test/v2/models/m/infer?x=1', { method: 'POST', headers })

describe('index.ts', () => {
  it('imports only web-standard packages, so that the gateway runs it on Deno and Workers', () => {
    const source = readFileSync(new URL('./index.ts', import.meta.url), 'utf8')
    const imported = [...source.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1])
    expect(imported.sort()).toEqual(['@opentelemetry/api', '@opentelemetry/semantic-conventions'])
  })
})

describe('tracingConfigured', () => {
  it('is on with an OTLP endpoint, generic or for traces, unless the SDK is disabled', () => {
    expect(tracingConfigured({})).toBe(false)
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(true)
    expect(
      tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }),
    ).toBe(true)
    expect(
      tracingConfigured({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_SDK_DISABLED: 'true',
      }),
    ).toBe(false)
  })

  it('registers nothing when not configured', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '')
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '')
    expect(startTracing({ serviceName: 'x' })).toBeUndefined()
  })
})

describe('RequestTrace', () => {
  it("continues the caller's traceparent: same trace id, the caller's span as parent", async () => {
    const trace = new RequestTrace(start().tracer('t'), {
      name: 'InferRequest',
      request: request({ traceparent: traceparent() }),
      route: '/v2/models/:name/infer',
    })
    expect(trace.traceId).toBe(TRACE_ID)
    trace.end(200)
    const [span] = await spans()
    expect(span?.spanContext().traceId).toBe(TRACE_ID)
    expect(span?.parentSpanContext?.spanId).toBe(PARENT_ID)
    expect(span?.kind).toBe(SpanKind.SERVER)
    expect(span?.attributes).toEqual({
      'http.request.method': 'POST',
      'url.path': '/v2/models/m/infer',
      'http.route': '/v2/models/:name/infer',
      'http.response.status_code': 200,
    })
    expect(span?.status.code).toBe(SpanStatusCode.UNSET)
    expect(span?.resource.attributes['service.name']).toBe('infera-test')
  })

  it('starts a new trace without a traceparent, and ignores a malformed one', async () => {
    const tracer = start().tracer('t')
    const fresh = new RequestTrace(tracer, { name: 'r', request: request() })
    const bad = new RequestTrace(tracer, {
      name: 'r',
      request: request({ traceparent: 'garbage' }),
    })
    expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(bad.traceId).not.toBe(fresh.traceId)
    fresh.end(200)
    bad.end(200)
    for (const span of await spans()) expect(span.parentSpanContext).toBeUndefined()
  })

  it('nests steps, recorded spans and children under the server span, with their times', async () => {
    const trace = new RequestTrace(start().tracer('t'), {
      name: 'InferRequest',
      request: request({ traceparent: traceparent() }),
    })
    expect(await trace.step('decode', () => 42, { a: 1 })).toBe(42)
    const origin = performance.now()
    trace.record('queue', origin - 5, origin - 2, { 'infera.batch.id': 7 })
    const upstream = trace.child('upstream', undefined, SpanKind.CLIENT)
    const headers = new Headers()
    trace.inject(headers, upstream)
    upstream.end()
    trace.end(200)
    const all = await spans()
    const server = all.find((s) => s.name === 'InferRequest') as ReadableSpan
    const byName = Object.fromEntries(all.map((s) => [s.name, s]))
    for (const name of ['decode', 'queue', 'upstream']) {
      expect(byName[name]?.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
      expect(byName[name]?.spanContext().traceId).toBe(TRACE_ID)
    }
    expect(byName.decode?.attributes).toEqual({ a: 1 })
    expect(byName.queue?.attributes).toEqual({ 'infera.batch.id': 7 })
    // performance.now() times, 3 ms apart, as the SDK converts them.
    const [s, ns] = byName.queue?.duration ?? [0, 0]
    expect(s * 1e3 + ns / 1e6).toBeCloseTo(3, 3)
    expect(byName.upstream?.kind).toBe(SpanKind.CLIENT)
    expect(headers.get('traceparent')).toBe(
      `00-${TRACE_ID}-${byName.upstream?.spanContext().spanId}-01`,
    )
  })

  it('records a failed step as ERROR on its span, and rethrows', async () => {
    const trace = new RequestTrace(start().tracer('t'), { name: 'r', request: request() })
    await expect(
      trace.step('decode', () => {
        throw new TypeError('bad body')
      }),
    ).rejects.toThrow('bad body')
    trace.end(400)
    const all = await spans()
    const decode = all.find((s) => s.name === 'decode')
    expect(decode?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad body' })
    expect(decode?.attributes['error.type']).toBe('TypeError')
    expect(decode?.events[0]?.name).toBe('exception')
    // A 4xx is the client's: the server span is not an error.
    expect(all.find((s) => s.name === 'r')?.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('marks the server span ERROR from status 500, with the error when there is one', async () => {
    const tracer = start().tracer('t')
    new RequestTrace(tracer, { name: 'with', request: request() }).end(500, new Error('boom'))
    new RequestTrace(tracer, { name: 'without', request: request() }).end(503)
    const all = await spans()
    const withError = all.find((s) => s.name === 'with')
    expect(withError?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' })
    expect(withError?.events.map((e) => e.name)).toEqual(['exception'])
    const without = all.find((s) => s.name === 'without')
    expect(without?.status.code).toBe(SpanStatusCode.ERROR)
    expect(without?.attributes['error.type']).toBe('503')
  })

  it('records nothing on a span that is not recording', () => {
    const trace = new RequestTrace(start().tracer('t'), {
      name: 'r',
      request: request({ traceparent: traceparent('00') }),
    })
    expect(trace.recording).toBe(false)
    recordError(trace.span, new Error('x'))
    trace.end(500)
    expect(trace.span.isRecording()).toBe(false)
  })
})

describe('sampling from the standard variables', () => {
  it("parentbased_traceidratio: a ratio of 0 drops new traces but follows a sampled caller's", async () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'parentbased_traceidratio')
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0')
    const tracer = start().tracer('t')
    const root = new RequestTrace(tracer, { name: 'root', request: request() })
    const child = new RequestTrace(tracer, {
      name: 'continued',
      request: request({ traceparent: traceparent() }),
    })
    expect(root.recording).toBe(false)
    expect(child.recording).toBe(true)
    root.end(200)
    child.end(200)
    expect((await spans()).map((s) => s.name)).toEqual(['continued'])
  })

  it('names the service and adds resource attributes from the environment', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'inference-eu')
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment.name=staging')
    new RequestTrace(start().tracer('t'), { name: 'r', request: request() }).end(200)
    const [span] = await spans()
    expect(span?.resource.attributes).toMatchObject({
      'service.name': 'inference-eu',
      'deployment.environment.name': 'staging',
    })
  })
})
