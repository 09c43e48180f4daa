import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { describeWith } from '../../../../testing/tools/index.ts'
import { buildMlp } from '../../../../training/onnx/index.ts'
import { RequestTrace } from '../../../shared/tracing/index.ts'
import { startTracing, type Tracing } from '../../../shared/tracing/node.ts'
import { python3, receivedSpans, startOtlpReceiver } from '../../../shared/tracing/testing/index.ts'
import type { BatchTiming } from '../batcher/index.ts'
import type { InferResult, ModelVersion } from '../model/index.ts'
import { createInferenceService } from '../service.ts'
import { tempDir, until, writeModel } from '../testing/index.ts'
import { ATTRIBUTES, SPANS, tracedInfer } from './trace.ts'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const PARENT_ID = 'b7ad6b7169203331'
const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`
const LABELS = ['a', 'b', 'c']
const ROW = [5.1, 3.5, 1.4, 0.2]

const v2Body = (data: unknown = [ROW]) =>
  JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data }] })

/** The inference service over one classifier, capturing every prediction to JSONL. */
async function serve(tracer: Parameters<typeof createInferenceService>[0]['tracer']) {
  const modelsDir = tempDir()
  const captureDir = tempDir()
  writeModel(modelsDir, 'iris', {
    onnx: buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 7, softmax: true }),
    config: { max_batch_size: 8, labels: { output: LABELS } },
  })
  const service = await createInferenceService({
    modelsDir,
    captureDir,
    captureSampleRate: 1,
    logger: pino({ level: 'silent' }),
    ...(tracer ? { tracer } : {}),
  })
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    service.app.request(path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    })
  return { service, post, captureDir }
}

const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans
    .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
    .map((s) => s.name)
    .sort()

describe('inference request traces (in-memory exporter)', () => {
  let tracing: Tracing
  let exporter: InMemorySpanExporter
  let t: Awaited<ReturnType<typeof serve>>

  beforeAll(async () => {
    exporter = new InMemorySpanExporter()
    tracing = startTracing({ serviceName: 'infera-inference', exporter }) as Tracing
    t = await serve(tracing.tracer('infera-inference'))
  })
  afterAll(async () => {
    await t.service.close()
    await tracing.shutdown()
  })
  // Flushed first: a span the batch processor still holds would show up in the next test.
  afterEach(async () => {
    await tracing.flush()
    exporter.reset()
  })

  const finished = async () => {
    await tracing.flush()
    return exporter.getFinishedSpans()
  }

  it('continues the traceparent: InferRequest with decode, encode and capture beneath it', async () => {
    const res = await t.post('/v2/models/iris/infer', v2Body(), { traceparent })
    expect(res.status).toBe(200)
    const spans = await finished()
    const request = spans.find((s) => s.name === SPANS.request) as ReadableSpan
    expect(request.spanContext().traceId).toBe(TRACE_ID)
    expect(request.parentSpanContext?.spanId).toBe(PARENT_ID)
    const { request: _, ...steps } = SPANS
    expect(childrenOf(spans, request)).toEqual(Object.values(steps).sort())
    for (const span of spans) expect(span.spanContext().traceId).toBe(TRACE_ID)
    // The batch this request ran in: one row, the only request, on instance 0.
    expect(spans.find((s) => s.name === SPANS.computeInfer)?.attributes).toEqual({
      [ATTRIBUTES.batchId]: expect.any(Number),
      [ATTRIBUTES.batchSize]: 1,
      [ATTRIBUTES.instance]: 0,
    })
    expect(request.attributes).toMatchObject({
      [ATTRIBUTES.model]: 'iris',
      [ATTRIBUTES.version]: '1',
      [ATTRIBUTES.protocol]: 'v2',
      'http.request.method': 'POST',
      'url.path': '/v2/models/iris/infer',
      'http.route': '/v2/models/:name/infer',
      'http.response.status_code': 200,
    })
    expect(request.status.code).toBe(SpanStatusCode.UNSET)
    const capture = spans.find((s) => s.name === SPANS.capture)
    expect(capture?.attributes[ATTRIBUTES.captured]).toBe(true)
    // The steps come in order, inside the request.
    const at = (name: string) => spans.find((s) => s.name === name)?.startTime ?? [0, 0]
    const ns = ([s, n]: [number, number]) => s * 1e9 + n
    expect(ns(at(SPANS.decode))).toBeGreaterThanOrEqual(ns(request.startTime))
    expect(ns(at(SPANS.encode))).toBeGreaterThanOrEqual(ns(at(SPANS.decode)))
  })

  it('traces KServe V1 too, and starts a trace of its own without a traceparent', async () => {
    const res = await t.post('/v1/models/iris:predict', JSON.stringify({ instances: [ROW] }))
    expect(res.status).toBe(200)
    const spans = await finished()
    const request = spans.find((s) => s.name === SPANS.request) as ReadableSpan
    expect(request.parentSpanContext).toBeUndefined()
    expect(request.spanContext().traceId).not.toBe(TRACE_ID)
    expect(request.attributes[ATTRIBUTES.protocol]).toBe('v1')
    expect(request.attributes['http.route']).toBe('/v1/models/:target')
    expect(childrenOf(spans, request)).toEqual(
      expect.arrayContaining([SPANS.capture, SPANS.decode, SPANS.encode]),
    )
  })

  it('records a body that does not parse on the decode span as ERROR', async () => {
    const res = await t.post('/v2/models/iris/infer', '{"inputs": [', { traceparent })
    expect(res.status).toBe(400)
    const spans = await finished()
    const decode = spans.find((s) => s.name === SPANS.decode)
    expect(decode?.status.code).toBe(SpanStatusCode.ERROR)
    expect(decode?.events.map((e) => e.name)).toEqual(['exception'])
    // A 4xx is the client's: the request span has the status, not an error.
    const request = spans.find((s) => s.name === SPANS.request)
    expect(request?.attributes['http.response.status_code']).toBe(400)
    expect(request?.status.code).toBe(SpanStatusCode.UNSET)
    expect(spans.some((s) => s.name === SPANS.encode || s.name === SPANS.capture)).toBe(false)
  })

  it('ends the request at a 400 the model gives (inputs that decode but do not fit it)', async () => {
    const fp64 = JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP64', shape: [1, 4], data: [ROW] }],
    })
    expect((await t.post('/v2/models/iris/infer', fp64, { traceparent })).status).toBe(400)
    const spans = await finished()
    expect(spans.find((s) => s.name === SPANS.decode)?.status.code).toBe(SpanStatusCode.UNSET)
    expect(spans.map((s) => s.name).sort()).toEqual([SPANS.request, SPANS.decode].sort())
  })

  it('marks the request span ERROR when the server fails (5xx)', async () => {
    const res = await t.post('/v2/models/nope/infer', v2Body(), { traceparent })
    expect(res.status).toBe(404)
    const notFound = (await finished()).find((s) => s.name === SPANS.request)
    expect(notFound?.attributes[ATTRIBUTES.model]).toBe('nope')
    expect(notFound?.status.code).toBe(SpanStatusCode.UNSET)

    exporter.reset()
    const model = t.service.repository.resolve('iris')
    const infer = vi.spyOn(model, 'infer').mockRejectedValueOnce(new Error('session crashed'))
    try {
      expect((await t.post('/v2/models/iris/infer', v2Body(), { traceparent })).status).toBe(500)
    } finally {
      infer.mockRestore()
    }
    const crashed = (await finished()).find((s) => s.name === SPANS.request)
    expect(crashed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'session crashed' })
    expect(crashed?.attributes['http.response.status_code']).toBe(500)
  })

  it("writes the trace id into the captured rows, so a row leads to its request's trace", async () => {
    await t.post('/v2/models/iris/infer', v2Body(), { traceparent })
    const dir = join(t.captureDir, 'iris', '1')
    await until(() => {
      try {
        return readdirSync(dir).length > 0
      } catch {
        return false
      }
    })
    const read = () =>
      readdirSync(dir).flatMap((file) =>
        readFileSync(join(dir, file), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      )
    await until(() => read().some((row) => row.trace_id === TRACE_ID))
  })

  it('traces nothing of a request the sampler dropped', async () => {
    const dropped = `00-${TRACE_ID}-${PARENT_ID}-00`
    expect((await t.post('/v2/models/iris/infer', v2Body(), { traceparent: dropped })).status).toBe(
      200,
    )
    expect(await finished()).toEqual([])
  })
})

describe('queue and compute spans from the batch timing', () => {
  it('records queue, compute_input, compute_infer and compute_output with the batch attributes', async () => {
    const exporter = new InMemorySpanExporter()
    const tracing = startTracing({ serviceName: 'infera-inference', exporter }) as Tracing
    try {
      const trace = new RequestTrace(tracing.tracer('t'), {
        name: SPANS.request,
        request: new Request('http://x/v2/models/m/infer', { headers: { traceparent } }),
      })
      // A batch that started 4 ms after the request queued, its times as the batcher records
      // them, all past by the time the job settles.
      let result: InferResult | undefined
      const model = {
        infer: async () => {
          const queued = performance.now()
          await new Promise((resolve) => setTimeout(resolve, 20))
          const timing: BatchTiming = {
            batchId: 12,
            batchSize: 5,
            instance: 1,
            startedAt: queued + 4,
            inferStartedAt: queued + 5,
            inferEndedAt: queued + 9,
            endedAt: queued + 9.5,
          }
          result = { outputs: [], queueSeconds: 0, computeSeconds: 0, batchRows: 5, timing }
          return result
        },
      } as unknown as ModelVersion
      expect(await tracedInfer(trace, model, [])).toBe(result)
      trace.end(200)
      await tracing.flush()
      const spans = exporter.getFinishedSpans()
      const request = spans.find((s) => s.name === SPANS.request) as ReadableSpan
      const ms = (name: string) => {
        const span = spans.find((s) => s.name === name) as ReadableSpan
        expect(span.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
        expect(span.attributes).toEqual({
          [ATTRIBUTES.batchId]: 12,
          [ATTRIBUTES.batchSize]: 5,
          [ATTRIBUTES.instance]: 1,
        })
        return span.duration[0] * 1e3 + span.duration[1] / 1e6
      }
      expect(ms(SPANS.queue)).toBeGreaterThanOrEqual(4)
      expect(ms(SPANS.queue)).toBeLessThan(1000)
      expect(ms(SPANS.computeInput)).toBeCloseTo(1, 3)
      expect(ms(SPANS.computeInfer)).toBeCloseTo(4, 3)
      expect(ms(SPANS.computeOutput)).toBeCloseTo(0.5, 3)
      expect(request.attributes[ATTRIBUTES.batchSize]).toBe(5)
    } finally {
      await tracing.shutdown()
    }
  })
})

describeWith({ python: python3 }, 'export to a real OTLP/HTTP receiver process', ({ python }) => {
  it('posts the request spans as OTLP JSON, in the caller’s trace, named for the service', async () => {
    const receiver = await startOtlpReceiver(python)
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url)
    vi.stubEnv('OTEL_SERVICE_NAME', 'inference-test')
    const tracing = startTracing({ serviceName: 'infera-inference' }) as Tracing
    const t = await serve(tracing.tracer('infera-inference'))
    try {
      expect((await t.post('/v2/models/iris/infer', v2Body(), { traceparent })).status).toBe(200)
      await tracing.flush()
      const received = await receiver.received()
      expect(received.map((r) => r.contentType)).toEqual(['application/json'])
      const spans = receivedSpans(received)
      expect(spans.map((s) => s.name).sort()).toEqual(Object.values(SPANS).sort())
      for (const span of spans) {
        expect(span.traceId).toBe(TRACE_ID)
        expect(span.service).toBe('inference-test')
      }
      const request = spans.find((s) => s.name === SPANS.request)
      expect(request?.parentSpanId).toBe(PARENT_ID)
      expect(request?.kind).toBe(2) // SPAN_KIND_SERVER
      expect(request?.attributes).toContainEqual({
        key: ATTRIBUTES.model,
        value: { stringValue: 'iris' },
      })
    } finally {
      await t.service.close()
      await tracing.shutdown()
      vi.unstubAllEnvs()
      receiver.close()
    }
  })
})
