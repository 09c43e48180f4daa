import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { buildIdentityModel } from '../../../../training/onnx/index.ts'
import { createInferenceApp, DEFAULT_MAX_BODY_BYTES } from '../app/index.ts'
import { createInferenceMetrics } from '../metrics/index.ts'
import {
  createTestApp,
  type FixtureModel,
  type Json,
  readJson,
  tempDir,
  until,
  writeModel,
} from '../testing/index.ts'
import { ModelRepository } from './index.ts'

const identity = () => buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }
/** A change on disk loads at the second poll that sees it: the first only notes the files. */
const settle = async (repository: { poll: () => Promise<void> }) => {
  await repository.poll()
  await repository.poll()
}

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
    const reloading = settle(t.repository)
    await until(() => t.repository.resolve('m', '1') !== chosen)
    send(text)
    const res = await pending
    expect(await readJson(res)).toMatchObject({ status: 200, body: { model_version: '1' } })
    await reloading
  })

  it('keeps the old version serving when a reload fails, and says why', async () => {
    const t = await setup({ m: { onnx: identity() } })
    writeFileSync(join(t.dir, 'm', '1', 'model.onnx'), 'truncated upload')
    await settle(t.repository)
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

  it('serves the versions its policy selects', async () => {
    const t = await setup({
      m: { onnx: identity(), config: { version_policy: { specific: { versions: [1, 3] } } } },
    })
    writeModel(t.dir, 'm', { onnx: identity(), version: 2 })
    writeModel(t.dir, 'm', { onnx: identity(), version: 3 })
    await settle(t.repository)
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

/** A repository whose log the test reads, and the app over it. */
async function served(models: Record<string, FixtureModel>) {
  const dir = tempDir()
  for (const [name, model] of Object.entries(models)) writeModel(dir, name, model)
  const metrics = createInferenceMetrics({ processMetrics: false })
  const logs: Json[] = []
  const logger = pino({}, { write: (line: string) => logs.push(JSON.parse(line)) })
  const repository = new ModelRepository({ dir, metrics, logger })
  await repository.loadAll()
  cleanup.push(() => repository.close())
  const app = createInferenceApp({
    repository,
    metrics,
    logger,
    isReady: () => true,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  })
  const infer = async (path = '/v2/models/m/infer') =>
    readJson(
      await app.request(path, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    )
  const gauge = async () =>
    (await metrics.modelState.get()).values
      .filter((v) => v.value === 1)
      .map((v) => `${v.labels.version}:${v.labels.state}`)
      .sort()
  const loads = async () =>
    Object.fromEntries(
      (await metrics.modelLoads.get()).values.map((v) => [v.labels.result, v.value]),
    )
  return { dir, repository, logs, app, infer, gauge, loads }
}

/** An ONNX file cut short, as a copy still under way or a broken upload leaves it. */
const truncated = () => identity().subarray(0, 40)
const version = (dir: string, v: number) => {
  mkdirSync(join(dir, 'm', String(v)), { recursive: true })
  return join(dir, 'm', String(v), 'model.onnx')
}

describe('a version that fails to load', () => {
  it('never replaces the one serving, under steady traffic, and is listed with its reason', async () => {
    const t = await served({ m: { onnx: identity() } })
    t.repository.startPolling(20)
    const answers: { status: number; version: string }[] = []
    let running = true
    const traffic = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (running) {
          const { status, body: answer } = await t.infer()
          answers.push({ status, version: answer.model_version })
          // An error answers without I/O: yield, or failing requests would starve the timers.
          await new Promise((resolve) => setImmediate(resolve))
        }
      }),
    )
    // Stopped first even when an assertion fails, before the repository closes.
    cleanup.unshift(async () => {
      running = false
      await traffic
    })
    const answered = (v: string) => until(() => answers.some((a) => a.version === v))
    writeModel(t.dir, 'm', { onnx: identity(), version: 2 })
    await answered('2')
    await until(() => t.repository.index().length === 1)

    writeFileSync(version(t.dir, 3), truncated())
    await until(() => t.repository.index().some((s) => s.state === 'UNAVAILABLE'))
    const before = answers.length
    await until(() => answers.length > before + 50)
    expect(t.repository.index()).toEqual([
      { name: 'm', version: '2', state: 'READY', reason: '' },
      { name: 'm', version: '3', state: 'UNAVAILABLE', reason: expect.stringMatching(/\S/) },
    ])
    expect((await t.app.request('/v2/models/m/ready')).status).toBe(200)
    expect(await t.gauge()).toEqual(['2:READY', '3:UNAVAILABLE'])
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 50, model: 'm', version: '3', reason: expect.any(String) }),
    )

    // A later good version still loads; the broken one stays listed until its files change.
    writeModel(t.dir, 'm', { onnx: identity(), version: 4 })
    await answered('4')
    await until(() => !t.repository.index().some((s) => s.version === '2'))
    running = false
    await traffic
    expect(answers.filter((a) => a.status !== 200)).toEqual([])
    expect(t.repository.index().map((s) => `${s.version}:${s.state}`)).toEqual([
      '3:UNAVAILABLE',
      '4:READY',
    ])
    // Polled many times, but tried once: a broken file is not retried until it changes.
    expect(await t.loads()).toEqual({ success: 3, failure: 1 })
  })

  it('loads once its files are fixed, and is not retried until then', async () => {
    const t = await served({ m: { onnx: identity() } })
    writeFileSync(version(t.dir, 2), truncated())
    for (let i = 0; i < 4; i++) await t.repository.poll()
    expect(await t.loads()).toEqual({ success: 1, failure: 1 })
    expect((await t.infer()).body.model_version).toBe('1')

    writeFileSync(version(t.dir, 2), identity())
    await settle(t.repository)
    expect((await t.infer()).body.model_version).toBe('2')
    expect(t.repository.index()).toEqual([{ name: 'm', version: '2', state: 'READY', reason: '' }])
    expect(await t.gauge()).toEqual(['2:READY'])
  })

  it('waits for a file being written to stop changing before loading it', async () => {
    const t = await served({ m: { onnx: identity() } })
    const onnx = identity()
    const file = version(t.dir, 2)
    const cuts = [0, 40, 80, onnx.length]
    for (let i = 1; i < cuts.length; i++) {
      appendFileSync(file, onnx.subarray(cuts[i - 1], cuts[i]))
      await t.repository.poll()
      // Each poll sees the file changed since the one before: nothing is tried.
      expect((await t.infer()).body.model_version).toBe('1')
      expect(t.repository.index().map((s) => s.version)).toEqual(['1'])
    }
    await t.repository.poll()
    expect((await t.infer()).body.model_version).toBe('2')
    expect(await t.loads()).toEqual({ success: 2 })
  })

  it('keeps serving, and says why, when config.json becomes unparseable', async () => {
    const t = await served({ m: { onnx: identity(), config: { max_batch_size: 8 } } })
    writeFileSync(join(t.dir, 'm', 'config.json'), '{"max_batch_size": ')
    for (let i = 0; i < 3; i++) await t.repository.poll()
    expect((await t.infer()).status).toBe(200)
    expect((await t.app.request('/v2/models/m/ready')).status).toBe(200)
    expect(t.repository.index()).toEqual([
      { name: 'm', version: '1', state: 'READY', reason: expect.stringMatching(/^config\.json/) },
    ])
    // Said once, not at every poll.
    expect(t.logs.filter((l) => l.level === 50)).toHaveLength(1)

    writeFileSync(join(t.dir, 'm', 'config.json'), JSON.stringify({ max_batch_size: 16 }))
    await settle(t.repository)
    expect(t.repository.index()).toEqual([{ name: 'm', version: '1', state: 'READY', reason: '' }])
    expect(t.repository.resolve('m').maxBatchSize).toBe(16)
  })

  it('keeps a version the policy and the disk dropped serving until the one selected is ready', async () => {
    const t = await served({ m: { onnx: identity() } })
    // As the registry follower writes it: the policy names the versions to serve.
    const only = (versions: number[]) =>
      writeFileSync(
        join(t.dir, 'm', 'config.json'),
        JSON.stringify({ version_policy: { specific: { versions } } }),
      )
    writeFileSync(version(t.dir, 2), truncated())
    only([2])
    rmSync(join(t.dir, 'm', '1'), { recursive: true })
    await t.repository.reload(['m'])
    expect(t.repository.index()).toEqual([
      { name: 'm', version: '1', state: 'READY', reason: expect.stringMatching(/^kept serving/) },
      { name: 'm', version: '2', state: 'UNAVAILABLE', reason: expect.stringMatching(/\S/) },
    ])
    expect((await t.infer()).body.model_version).toBe('1')
    expect((await t.infer('/v2/models/m/versions/1/infer')).status).toBe(200)

    writeModel(t.dir, 'm', { onnx: identity(), version: 3 })
    only([3])
    await t.repository.reload(['m'])
    // 2's config changed with the policy: it would be tried again if selected, so it is not listed.
    expect(t.repository.index().map((s) => `${s.version}:${s.state}`)).toEqual(['3:READY'])
  })
})
