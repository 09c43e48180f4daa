import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { buildIdentityModel } from '../../../../training/onnx/index.ts'
import { bearer, credentialFor, generateToken } from '../../../shared/credentials/index.ts'
import { createInferenceApp, DEFAULT_MAX_BODY_BYTES } from '../app/index.ts'
import { createTestApp, readJson } from '../testing/index.ts'
import type { RepositoryApiOptions } from './index.ts'

const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }
const onnx = () => buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] })

let cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup) await close()
  cleanup = []
})

/** Model `m` served, and the app with the repository API configured as `control` says. */
async function serve(control: RepositoryApiOptions) {
  const t = await createTestApp({ m: { onnx: onnx() } })
  cleanup.push(() => t.repository.close())
  const app = createInferenceApp({
    repository: t.repository,
    metrics: t.metrics,
    logger: pino({ level: 'silent' }),
    isReady: () => true,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    ...control,
  })
  const call = async (action: string, token?: string, model = 'm') =>
    readJson(
      await app.request(`/v2/repository/models/${model}/${action}`, {
        method: 'POST',
        headers: bearer(token),
      }),
    )
  const infer = async () => (await t.post('/v2/models/m/infer', body)).status
  return { ...t, call, infer }
}

describe('the repository API', () => {
  it('refuses load and unload unless model control is explicit, naming the flag', async () => {
    const t = await serve({})
    for (const action of ['unload', 'load']) {
      expect(await t.call(action)).toEqual({
        status: 403,
        body: { error: expect.stringContaining('--model-control explicit') },
      })
    }
    expect(await t.infer()).toBe(200)
    // The index reads what is served and changes nothing: open, as Triton's.
    const index = await t.app.request('/v2/repository/index', { method: 'POST' })
    expect(await readJson(index)).toMatchObject({ status: 200, body: [{ name: 'm' }] })
  })

  it('with explicit model control, loads and unloads for a holder of inference:model-control', async () => {
    const [operator, other] = [generateToken(), generateToken()]
    const t = await serve({
      modelControl: 'explicit',
      credentials: [
        await credentialFor('operator', operator, ['inference:model-control']),
        await credentialFor('drift', other, ['drift:ingest']),
      ],
    })
    expect((await t.call('unload')).status).toBe(401)
    expect((await t.call('unload', 'not-a-token')).status).toBe(401)
    expect(await t.call('unload', other)).toEqual({
      status: 403,
      body: { error: "'drift' may not inference:model-control" },
    })
    expect(await t.infer()).toBe(200)

    expect((await t.call('unload', operator)).status).toBe(200)
    expect(await t.infer()).toBe(503)
    expect(t.repository.index()).toEqual([
      { name: 'm', version: '', state: 'UNAVAILABLE', reason: 'unloaded' },
    ])
    expect((await t.call('load', operator)).status).toBe(200)
    expect(await t.infer()).toBe(200)
    expect((await t.call('load', operator, 'ghost')).status).toBe(404)

    // A failed reload answers 400 with the reason, as Triton does; the version serving goes on.
    writeFileSync(join(t.dir, 'm', '1', 'model.onnx'), 'garbage')
    const failed = await t.call('load', operator)
    expect(failed.status).toBe(400)
    expect(failed.body.error).toMatch(/^failed to load model 'm': version 1 READY: reload failed/)
    expect(await t.infer()).toBe(200)
  })

  it('refuses everyone when model control is explicit but no credential is configured', async () => {
    const t = await serve({ modelControl: 'explicit' })
    expect((await t.call('unload', generateToken())).status).toBe(403)
    expect(await t.infer()).toBe(200)
  })
})
