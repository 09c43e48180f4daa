import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildIdentityModel } from '../../../../training/onnx/index.ts'
import { createTestApp, readJson, until, writeModel } from '../testing/index.ts'

const identity = () => buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }

let cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup) await close()
  cleanup = []
})

async function setup(models: Parameters<typeof createTestApp>[0]) {
  const t = await createTestApp(models)
  cleanup.push(() => t.repository.close())
  return t
}

describe('ModelRepository', () => {
  it('hot-swaps to a new version in poll mode without failing a request', async () => {
    const t = await setup({ m: { onnx: identity() } })
    t.repository.startPolling(30)
    const statuses: number[] = []
    const versions = new Set<string>()
    let stop = false
    const traffic = (async () => {
      while (!stop) {
        const res = await t.post('/v2/models/m/infer', body)
        statuses.push(res.status)
        versions.add((await readJson(res)).body.model_version)
      }
    })()
    await sleep(100)
    writeModel(t.dir, 'm', { onnx: identity(), version: 2 })
    await until(() => versions.has('2'))
    await until(() => t.repository.index().length === 1)
    stop = true
    await traffic
    expect(statuses.length).toBeGreaterThan(10)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(t.repository.index()).toEqual([{ name: 'm', version: '2', state: 'READY', reason: '' }])
  })

  it('answers with the version a request chose even when that version reloads meanwhile', async () => {
    const t = await setup({ m: { onnx: identity() } })
    let send = (_text: string) => {}
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        send = (text) => {
          controller.enqueue(new TextEncoder().encode(text))
          controller.close()
        }
      },
    })
    const text = JSON.stringify(body)
    // With its length given, the body is read by the route, after the version was chosen.
    const pending = t.app.request('/v2/models/m/versions/1/infer', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json', 'content-length': String(text.length) },
      duplex: 'half',
    } as RequestInit)
    // In flight: the version is chosen, the body not yet read.
    await until(async () => (await t.metrics.inflight.get()).values.some((v) => v.value === 1))
    const chosen = t.repository.resolve('m', '1')
    writeFileSync(join(t.dir, 'm', 'config.json'), JSON.stringify({ max_batch_size: 32 }))
    const reloading = t.repository.poll()
    await until(() => t.repository.resolve('m', '1') !== chosen)
    send(text)
    const res = await pending
    expect(await readJson(res)).toMatchObject({ status: 200, body: { model_version: '1' } })
    await reloading
  })

  it('keeps the old version serving when a reload fails, and says why', async () => {
    const t = await setup({ m: { onnx: identity() } })
    writeFileSync(join(t.dir, 'm', '1', 'model.onnx'), 'truncated upload')
    await t.repository.poll()
    const [status] = t.repository.index()
    expect(status).toMatchObject({
      version: '1',
      state: 'READY',
      reason: expect.stringMatching(/^reload failed/),
    })
    expect((await t.post('/v2/models/m/infer', body)).status).toBe(200)
  })

  it('reports an invalid config.json by its field while other models serve', async () => {
    const t = await setup({
      bad: { onnx: identity(), config: { max_batch_size: 'lots' } },
      good: { onnx: identity() },
    })
    const index = t.repository.index()
    expect(index.find((s) => s.name === 'bad')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringMatching(/config\.json is invalid: max_batch_size/),
    })
    const res = await t.post('/v2/models/bad/infer', body)
    expect(res.status).toBe(503)
    expect((await readJson(res)).body.error).toMatch(/max_batch_size/)
    expect((await t.post('/v2/models/good/infer', body)).status).toBe(200)
  })

  it('rejects a config whose features do not fit the graph', async () => {
    const t = await setup({
      m: { onnx: identity(), config: { features: { input: ['a', 'b', 'c'] } } },
    })
    expect(t.repository.index()[0]?.reason).toMatch(
      /input 'input' has shape \[-1,2\], not \[batch, 3\]/,
    )
  })

  it('loads and unloads through the repository API', async () => {
    const t = await setup({ m: { onnx: identity() } })
    expect((await t.post('/v2/repository/models/m/unload', {})).status).toBe(200)
    expect((await t.post('/v2/models/m/infer', body)).status).toBe(503)
    await t.repository.poll()
    expect(t.repository.index()).toEqual([
      { name: 'm', version: '', state: 'UNAVAILABLE', reason: 'unloaded' },
    ])
    expect((await t.post('/v2/repository/models/m/load', {})).status).toBe(200)
    expect((await t.post('/v2/models/m/infer', body)).status).toBe(200)
    expect((await t.post('/v2/repository/models/ghost/load', {})).status).toBe(404)
    writeFileSync(join(t.dir, 'm', '1', 'model.onnx'), 'garbage')
    rmSync(join(t.dir, 'm', 'config.json'), { force: true })
    await t.post('/v2/repository/models/m/unload', {})
    const failed = await t.post('/v2/repository/models/m/load', {})
    expect(failed.status).toBe(400)
    expect((await readJson(failed)).body.error).toMatch(/failed to load model 'm'/)
  })

  it('serves the versions its policy selects', async () => {
    const t = await setup({
      m: { onnx: identity(), config: { version_policy: { specific: { versions: [1, 3] } } } },
    })
    writeModel(t.dir, 'm', { onnx: identity(), version: 2 })
    writeModel(t.dir, 'm', { onnx: identity(), version: 3 })
    await t.repository.poll()
    expect((await readJson(await t.app.request('/v2/models/m'))).body.versions).toEqual(['3', '1'])
    expect(
      (await readJson(await t.post('/v2/models/m/versions/1/infer', body))).body.model_version,
    ).toBe('1')
    expect((await t.post('/v2/models/m/versions/2/infer', body)).status).toBe(404)
    expect((await readJson(await t.post('/v2/models/m/infer', body))).body.model_version).toBe('3')
  })

  it('unloads a model whose folder disappears', async () => {
    const t = await setup({ m: { onnx: identity() }, n: { onnx: identity() } })
    rmSync(join(t.dir, 'm'), { recursive: true })
    await t.repository.poll()
    expect(t.repository.index().map((s) => s.name)).toEqual(['n'])
    expect((await t.post('/v2/models/m/infer', body)).status).toBe(404)
  })
})
