import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readJson } from '../../../inference/src/testing/index.ts'
import { random } from '../stats/testing/index.ts'
import { createTestDriftApp } from '../testing/index.ts'

let t: Awaited<ReturnType<typeof createTestDriftApp>>
const DIM = 16
const SD = 1 / Math.sqrt(DIM)

/** A row as the inference service captures an embedding input: one array, and a score. */
const row = (r: ReturnType<typeof random>, shift: number) => ({
  score: r.normal(),
  emb: Array.from(r.normals(DIM, shift * SD, SD)),
})
const captured = (seed: number, rows: number, shift: number, hour: number) => {
  const r = random(seed)
  return Array.from({ length: rows }, (_, i) => ({
    ts: new Date(Date.UTC(2026, 0, 1, hour, 0, i)).toISOString(),
    request_id: `${hour}-${i}`,
    model: 'encoder',
    version: '1',
    features: row(r, shift),
  }))
}

beforeAll(async () => {
  t = await createTestDriftApp(undefined, { window: { kind: 'count', size: 300 } })
})
afterAll(() => t.service.close())

const latest = async () => (await readJson(await t.app.request('/v1/drift/encoder/latest'))).body

describe('embedding drift in the service', () => {
  it('profiles a vector column of the reference apart from the tabular ones', async () => {
    const r = random(1)
    const reference = Array.from({ length: 1500 }, () => row(r, 0))
    const answer = await readJson(await t.post('/v1/drift/encoder/reference', reference))
    expect(answer).toMatchObject({
      status: 201,
      body: { rows: 1500, columns: ['score'], embeddings: ['emb'] },
    })
  })

  it('tests captured vectors in each window, beside the tabular features', async () => {
    expect((await t.post('/v1/drift/encoder/records', captured(2, 300, 0, 1))).status).toBe(202)
    await t.service.idle()
    const alike = await latest()
    expect(Object.keys(alike.drift.features)).toEqual(['score'])
    expect(alike.drift.embeddings.emb).toMatchObject({
      type: 'embedding',
      method: 'model',
      dimension: DIM,
      bootstrap: false,
      threshold: 0.55,
      drifted: false,
    })
    expect(alike.quality.unknown_features).toEqual([])

    expect((await t.post('/v1/drift/encoder/records', captured(3, 300, 0.5, 2))).status).toBe(202)
    await t.service.idle()
    const moved = await latest()
    expect(moved.drift.embeddings.emb).toMatchObject({ method: 'model', drifted: true })
    expect(moved.drift.embeddings.emb.statistic).toBeGreaterThan(0.7)
    expect(moved.drift.features.score.drifted).toBe(false)
  })

  it('publishes the result as metrics and in the report', async () => {
    const metrics = await (await t.app.request('/metrics')).text()
    expect(metrics).toMatch(
      /infera_drift_feature_score\{model="encoder",feature="emb",method="embedding_model"\} 0\.[7-9]/,
    )
    expect(metrics).toContain('infera_drift_feature_drifted{model="encoder",feature="emb"} 1')
    const html = await (await t.app.request('/v1/drift/encoder/report')).text()
    expect(html).toContain('<tr data-embedding="emb">')
  })

  it('tests with the method the service is set up with', async () => {
    const own = await createTestDriftApp(undefined, {
      window: { kind: 'count', size: 300 },
      embeddings: { method: 'mmd' },
    })
    const r = random(5)
    await own.post(
      '/v1/drift/encoder/reference',
      Array.from({ length: 600 }, () => row(r, 0)),
    )
    await own.post('/v1/drift/encoder/records', captured(6, 300, 0.5, 1))
    await own.service.idle()
    const evaluation = (await readJson(await own.app.request('/v1/drift/encoder/latest'))).body
    expect(evaluation.drift.embeddings.emb).toMatchObject({
      method: 'mmd',
      threshold: 0.015,
      drifted: true,
    })
    expect(evaluation.drift.embeddings.emb.p_value).toBeCloseTo(1 / 101, 12)
    await own.service.close()
  })

  it('treats a vector of the wrong length as missing, and tests no column with too few vectors', async () => {
    const rows = captured(4, 300, 0, 3).map((record, i) =>
      i < 299 ? { ...record, features: { ...record.features, emb: [1, 2] } } : record,
    )
    expect((await t.post('/v1/drift/encoder/records', rows)).status).toBe(202)
    await t.service.idle()
    const window = await latest()
    expect(window.window.rows).toBe(300)
    expect(window.drift.embeddings).toBeUndefined()
  })
})
