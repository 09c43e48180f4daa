import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { buildMlp } from '../../../../training/onnx/index.ts'
import { parseModelConfig } from '../config/index.ts'
import type { InferenceError } from '../errors/index.ts'
import { ModelVersion } from '../model/index.ts'
import { tempDir } from '../testing/index.ts'
import { IN_PROCESS_MAX_BYTES, InstanceGroup } from './index.ts'
import { WorkerInstance } from './remote.ts'

const tiny = () => buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: false })
// 2.1M parameters, 8 MB: past the in-process size.
const heavy = () =>
  buildMlp({ inputSize: 256, hidden: [2048, 768], outputSize: 10, seed: 2, softmax: false })

function modelFile(onnx: Uint8Array) {
  const dir = join(tempDir(), '1')
  mkdirSync(dir)
  writeFileSync(join(dir, 'model.onnx'), onnx)
  return join(dir, 'model.onnx')
}

const row = (n: number) => ({
  name: 'input',
  datatype: 'FP32' as const,
  shape: [1, n],
  data: Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
})

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close()
})

async function group(onnx: Uint8Array, config: object) {
  const g = await InstanceGroup.load({
    name: 'm',
    version: '1',
    path: modelFile(onnx),
    config: parseModelConfig(config),
  })
  cleanup.push(() => g.close())
  return g
}

async function model(onnx: Uint8Array, config: object) {
  const m = await ModelVersion.load({
    name: 'm',
    version: '1',
    path: modelFile(onnx),
    config: parseModelConfig(config),
  })
  cleanup.push(() => m.release())
  return m
}

describe('InstanceGroup placement', () => {
  it('keeps one CPU instance of a small model on the main thread, and threads the rest', async () => {
    expect(tiny().byteLength).toBeLessThan(IN_PROCESS_MAX_BYTES)
    expect(heavy().byteLength).toBeGreaterThan(IN_PROCESS_MAX_BYTES)
    expect((await group(tiny(), {})).threaded).toBe(false)
    const two = await group(tiny(), { instance_group: [{ count: 2 }] })
    expect([two.threaded, two.size]).toEqual([true, 2])
    const big = await group(heavy(), {})
    expect([big.threaded, big.size]).toEqual([true, 1])
    expect(big.info.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 256] }])
  })

  it('fails a KIND_GPU instance whose GPU provider is not active, naming it (as Triton)', async () => {
    for (const cuda of ['cuda', { name: 'cuda', optional: true }]) {
      const config = { execution_providers: [cuda, 'cpu'], instance_group: [{ kind: 'KIND_GPU' }] }
      await expect(group(tiny(), config)).rejects.toThrow(
        /^instance_group kind KIND_GPU needs cuda or tensorrt active: execution provider 'cuda' is not available: (?!.*optional)/,
      )
    }
    // A KIND_CPU instance runs on CPU whatever execution_providers asks.
    const cpu = await group(tiny(), {
      execution_providers: ['cuda', 'cpu'],
      instance_group: [{ kind: 'KIND_CPU' }],
    })
    expect(cpu.info.providers).toEqual(['cpu'])
  })

  it('reports a model that fails to load on a thread by its own error', async () => {
    await expect(group(new TextEncoder().encode('not onnx'.repeat(200_000)), {})).rejects.toThrow(
      /protobuf/i,
    )
  })
})

describe('InstanceGroup workers', () => {
  it('fails the batch of an instance whose thread dies with a 503 naming the model, and replaces it', async () => {
    const g = await group(heavy(), {})
    const instance = g.acquire() as WorkerInstance
    const feeds = {
      input: { type: 'float32' as const, dims: [1, 256], data: new Float32Array(256) },
    }
    // The thread ends before it starts the batch: ended under a run, onnxruntime-node's completion
    // callback throws into the torn-down thread and aborts the whole process (a native crash no
    // worker contains), which is not what this test is about.
    const terminated = instance.worker.terminate()
    const run = instance.run(feeds, ['output'], () => false)
    await terminated
    const error = (await run.catch((e) => e)) as InferenceError
    expect(error.status).toBe(503)
    expect(error.message).toMatch(
      /^model 'm' version 1 instance 0 stopped unexpectedly \(exit code 1\); its batch was not run$/,
    )
    g.release(instance)
    const replacement = g.acquire() as WorkerInstance
    expect(replacement).not.toBe(instance)
    const { outputs } = await replacement.run(feeds, ['output'], () => false)
    expect(outputs.output?.dims).toEqual([1, 10])
    g.release(replacement)
  })

  it('answers the runs under way before it closes', async () => {
    const g = await group(heavy(), {})
    const instance = g.acquire() as WorkerInstance
    const feeds = {
      input: { type: 'float32' as const, dims: [64, 256], data: new Float32Array(64 * 256) },
    }
    const run = instance.run(feeds, ['output'], () => false)
    const closed = instance.close()
    expect((await run).outputs.output?.dims).toEqual([64, 10])
    await closed
    expect(instance.worker.threadId).toBe(-1)
  })

  it('ends every thread on close', async () => {
    const g = await group(tiny(), { instance_group: [{ count: 2 }] })
    const workers = [g.acquire(), g.acquire()] as WorkerInstance[]
    for (const w of workers) g.release(w)
    expect(workers.map((w) => w.worker.threadId).every((id) => id > 0)).toBe(true)
    await g.close()
    expect(workers.map((w) => w.worker.threadId)).toEqual([-1, -1])
  })
})

describe('ModelVersion on an instance group', () => {
  it('runs two batches at once on two instances, and says when and where each ran', async () => {
    const m = await model(heavy(), { max_batch_size: 1, instance_group: [{ count: 2 }] })
    const results = await Promise.all([m.infer([row(256)]), m.infer([row(256)])])
    const [a, b] = results.map((r) => r.timing)
    expect(new Set([a?.instance, b?.instance])).toEqual(new Set([0, 1]))
    expect(a?.batchId).not.toBe(b?.batchId)
    // Both were sent to their instances before either came back: in flight together.
    for (const [x, y] of [
      [a, b],
      [b, a],
    ])
      expect(x?.startedAt).toBeLessThan(y?.endedAt as number)
    for (const t of [a, b]) {
      expect(t?.batchSize).toBe(1)
      expect(t?.startedAt).toBeLessThanOrEqual(t?.inferStartedAt as number)
      expect(t?.inferStartedAt).toBeLessThanOrEqual(t?.inferEndedAt as number)
      expect(t?.inferEndedAt).toBeLessThanOrEqual(t?.endedAt as number)
    }
    expect(results[0]?.outputs[0]?.data).toEqual(results[1]?.outputs[0]?.data)
    expect(m.instances).toEqual({ count: 2, busy: 0, threaded: true })
  })

  it('answers a batch whose instance died with 503, not as a bad request, and goes on', async () => {
    const m = await model(heavy(), {})
    const run = WorkerInstance.prototype.run
    // The thread dies as it is given the batch, before it can start it (see above).
    vi.spyOn(WorkerInstance.prototype, 'run').mockImplementationOnce(function (
      this: WorkerInstance,
      ...args
    ) {
      void this.worker.terminate()
      return run.apply(this, args)
    })
    const failed = await Promise.all([m.infer([row(256)]), m.infer([row(256)])]).catch((e) => e)
    expect(failed).toMatchObject({
      status: 503,
      message: expect.stringMatching(/^model 'm' version 1 instance 0 stopped unexpectedly/),
    })
    vi.restoreAllMocks()
    const next = await m.infer([row(256)])
    expect(next.outputs[0]?.shape).toEqual([1, 10])
  })

  it('answers a batch the same on threads as on the main thread', async () => {
    const local = await model(tiny(), {})
    const threaded = await model(tiny(), { instance_group: [{ count: 2 }] })
    const rows = [row(4), { ...row(4), data: Float32Array.from([1, -2, 3, 0.5]) }]
    const answers = async (m: ModelVersion) =>
      (await Promise.all(rows.map((r) => m.infer([r])))).map((r) => r.outputs[0]?.data)
    expect(await answers(threaded)).toEqual(await answers(local))
  })
})
