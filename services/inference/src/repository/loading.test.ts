import { afterEach, describe, expect, it } from 'vitest'
import { buildMlp } from '../../../../training/onnx/index.ts'
import { createTestApp, readJson, until, writeModel } from '../testing/index.ts'

const tiny = () => buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: false })
// 12M parameters (48 MB): a load that takes a while, on a worker thread.
const large = () =>
  buildMlp({ inputSize: 1024, hidden: [4096, 2048], outputSize: 10, seed: 3, softmax: false })
const body = (n: number) => ({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, n], data: new Array(n).fill(0.5) }],
})
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close()
})

async function setup(models: Parameters<typeof createTestApp>[0]) {
  const t = await createTestApp(models)
  cleanup.push(() => t.repository.close())
  return t
}

describe('ModelRepository with instance groups', () => {
  it('goes on answering health checks and other models while a large model loads', async () => {
    const t = await setup({ light: { onnx: tiny() } })
    writeModel(t.dir, 'large', { onnx: large() })
    const state = () => t.repository.index().find((s) => s.name === 'large')?.state
    const loading = t.repository.load('large')
    await until(() => state() === 'LOADING')
    // Requests made one after another while the load runs: on the event loop they would all
    // wait for it, and be answered only once it was READY.
    const answeredWhileLoading: string[] = []
    while (state() === 'LOADING') {
      const health = await t.app.request('/v2/health/ready')
      const infer = await t.post('/v2/models/light/infer', body(4))
      if (state() === 'LOADING' && health.status === 200 && infer.status === 200)
        answeredWhileLoading.push('health+infer')
      await pause(10)
    }
    await loading
    expect(state()).toBe('READY')
    expect(answeredWhileLoading.length).toBeGreaterThanOrEqual(3)
    expect((await t.post('/v2/models/large/infer', body(1024))).status).toBe(200)
  })

  it('hot-swaps a model on worker threads without failing a request, counting runs per instance', async () => {
    const config = { instance_group: [{ count: 2, kind: 'KIND_CPU' }] }
    const t = await setup({ m: { onnx: tiny(), config } })
    const first = t.repository.resolve('m')
    expect(first.instances).toMatchObject({ count: 2, threaded: true })
    const statuses: number[] = []
    const versions = new Set<string>()
    let stop = false
    const traffic = (async () => {
      while (!stop) {
        const res = await Promise.all(
          Array.from({ length: 4 }, () => t.post('/v2/models/m/infer', body(4)).then(readJson)),
        )
        for (const r of res) {
          statuses.push(r.status)
          versions.add(r.body.model_version)
        }
      }
    })()
    await pause(50)
    writeModel(t.dir, 'm', { onnx: tiny(), config, version: 2 })
    await t.repository.load('m')
    await until(() => versions.has('2'))
    stop = true
    await traffic
    expect(t.repository.index().map((s) => s.version)).toEqual(['2'])
    expect(new Set(statuses)).toEqual(new Set([200]))
    expect(versions).toEqual(new Set(['1', '2']))
    const text = await (await t.app.request('/metrics')).text()
    expect(text).toMatch(
      /infera_inference_instance_executions_total\{model="m",version="1",instance="[01]"\} [1-9]/,
    )
  })
})
