import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GraphBuilder } from '../../../../training/onnx/index.ts'
import { parseModelConfig } from '../config/index.ts'
import { createTestApp, readJson } from '../testing/index.ts'
import { ModelVersion } from './index.ts'

/** output[i] = table[index[i]]: an index past the table makes onnxruntime fail at run time. */
function lookupModel() {
  const g = new GraphBuilder('lookup')
  const table = g.initializer('table', { datatype: 'FP32', dims: [4], values: [10, 20, 30, 40] })
  const index = g.input('index', 'INT64', ['batch', 1])
  g.output('value', 'FP32', ['batch', 1], g.op('Gather', [table, index]))
  return g.serialize()
}

/** range(0, 10, step): a step of 0, which the warm-up's zero inputs send, makes it fail. */
function rangeModel() {
  const g = new GraphBuilder('range')
  const scalar = (value: number) =>
    g.initializer('bound', { datatype: 'INT64', dims: [], values: [value] })
  const step = g.input('step', 'INT64', [])
  g.output('values', 'INT64', ['n'], g.op('Range', [scalar(0), scalar(10), step]))
  return g.serialize()
}

let t: Awaited<ReturnType<typeof createTestApp>>
beforeAll(async () => {
  t = await createTestApp({
    lookup: {
      onnx: lookupModel(),
      // Everything sent within 50 ms shares a batch.
      config: { dynamic_batching: { max_queue_delay_microseconds: 50_000 } },
    },
    range: { onnx: rangeModel() },
    queued: {
      onnx: lookupModel(),
      config: { dynamic_batching: { max_queue_delay_microseconds: 200_000, max_queue_size: 3 } },
    },
    // This machine's onnxruntime-node has no CUDA libraries (.npmrc skips them), as a GPU image
    // without CUDA 12 and cuDNN 9 lacks them: onnxruntime throws and the old loader fell back to CPU.
    cuda: { onnx: lookupModel(), config: { execution_providers: ['cuda', 'cpu'] } },
    cudaOptional: {
      onnx: lookupModel(),
      config: { execution_providers: [{ name: 'cuda', optional: true }, 'cpu'] },
    },
    // Linux builds have no DirectML: onnxruntime-common drops it from the list with a console line.
    dml: { onnx: lookupModel(), config: { execution_providers: ['dml', 'cpu'] } },
  })
})
afterAll(() => t.repository.close())

const lookup = (model: string, index: number) =>
  t
    .post(`/v2/models/${model}/infer`, {
      inputs: [{ name: 'index', datatype: 'INT64', shape: [1, 1], data: [index] }],
    })
    .then(readJson)

describe('ModelVersion warm-up', () => {
  it('is ready only after a warm-up run, and reports a failing one', async () => {
    const status = t.repository.index().find((s) => s.name === 'range')
    expect(status).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringMatching(/^warm-up run failed: .*delta/i),
    })
    expect((await t.app.request('/v2/models/range/ready')).status).toBe(503)
  })
})

describe('ModelVersion batch execution', () => {
  it('isolates a request that fails at run time from its batch-mates', async () => {
    const indices = [0, 1, 2, 99, 3, -1, 2]
    const results = await Promise.all(indices.map((i) => lookup('lookup', i)))
    const ok = results.filter((r) => r.status === 200)
    expect(ok.map((r) => r.body.outputs[0].data[0])).toEqual([10, 20, 30, 40, 40, 30])
    const failed = results[3]
    expect(failed?.status).toBe(400)
    expect(failed?.body.error).toMatch(/^inference failed: .*indices/i)
    // The six good requests and the bad one ran as one batch first.
    const sizes = (await t.metrics.batchSize.get()).values.find(
      (v) => v.labels.model === 'lookup' && (v.labels as { le?: number }).le === 8,
    )
    expect(sizes?.value).toBeGreaterThanOrEqual(1)
  })

  it('refuses requests past the queue limit with 503 and Retry-After, and serves the rest', async () => {
    const body = { inputs: [{ name: 'index', datatype: 'INT64', shape: [1, 1], data: [1] }] }
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => t.post('/v2/models/queued/infer', body)),
    )
    const statuses = responses.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 200, 200, 503, 503, 503])
    const refused = responses.find((r) => r.status === 503) as Response
    expect(refused.headers.get('retry-after')).toBe('1')
    expect((await readJson(refused)).body.error).toMatch(/queue is full \(3 requests waiting\)/)
    const text = await (await t.app.request('/metrics')).text()
    expect(text).toContain('infera_inference_rejected_total{model="queued",reason="unavailable"} 3')
  })
})

describe('ModelVersion execution providers', () => {
  const status = (name: string) => t.repository.index().find((s) => s.name === name)

  it('makes a version that asks for CUDA it cannot have UNAVAILABLE, naming cuda', async () => {
    expect(status('cuda')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringMatching(/^execution provider 'cuda' is not available: .+optional/),
    })
    expect((await lookup('cuda', 1)).status).toBe(503)
  })

  it('refuses a provider this onnxruntime-node build lacks, which onnxruntime would drop', () => {
    expect(status('dml')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringMatching(
        /'dml' is not available: this onnxruntime-node build has only cpu/,
      ),
    })
  })

  it('serves on CPU when CUDA is marked optional, with a warning naming it', async () => {
    expect(status('cudaOptional')).toMatchObject({ state: 'READY' })
    expect((await lookup('cudaOptional', 2)).body.outputs[0].data).toEqual([30])
    const warnings: Array<Record<string, unknown>> = []
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => warnings.push(JSON.parse(line)) },
    )
    const model = await ModelVersion.load({
      name: 'cudaOptional',
      version: '1',
      path: join(t.dir, 'cudaOptional', '1', 'model.onnx'),
      config: parseModelConfig({ execution_providers: [{ name: 'cuda', optional: true }, 'cpu'] }),
      logger,
    })
    await model.release()
    expect(model.executionProviders).toEqual(['cpu'])
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: 'optional execution provider dropped',
        provider: 'cuda',
        reason: expect.stringMatching(/^execution provider 'cuda' is not available: /),
      }),
    ])
  })

  it('loads on CPU whatever the config asks when told to (the registry gate)', async () => {
    const model = await ModelVersion.load({
      name: 'cuda',
      version: '1',
      path: join(t.dir, 'cuda', '1', 'model.onnx'),
      config: parseModelConfig({ execution_providers: ['cuda'] }),
      onCpu: true,
    })
    await model.release()
    expect(model.executionProviders).toEqual(['cpu'])
  })

  it('reports a model that fails on CPU too by its own error, not the provider', async () => {
    const path = join(t.dir, 'broken.onnx')
    writeFileSync(path, 'not onnx')
    const config = parseModelConfig({ execution_providers: ['cuda', 'cpu'] })
    await expect(ModelVersion.load({ name: 'broken', version: '1', path, config })).rejects.toThrow(
      /^(?!execution provider).*protobuf/i,
    )
  })
})
