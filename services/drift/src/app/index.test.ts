import { existsSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readJson, tempDir } from '../../../inference/src/testing/index.ts'
import { bearer } from '../../../shared/credentials/index.ts'
import { LocalTrainer } from '../retrain/index.ts'
import {
  createTestDriftApp,
  demoRepository,
  PENGUIN_FEATURES,
  referenceRows,
  TEST_TOKENS,
} from '../testing/index.ts'

let modelsDir: string
let t: Awaited<ReturnType<typeof createTestDriftApp>>
let penguins: Array<Record<string, unknown>>

/** A penguin as the model server captures it: features, and the prediction as `prediction`. */
/** Each batch (its prefix) gets its own hour, as real traffic moves on in time. */
const HOURS: Record<string, number> = { a: 0, b: 1, q: 2, x: 3, l: 4 }
const capture = (row: Record<string, unknown>, i: number, prefix: string) => ({
  ts: new Date(Date.UTC(2026, 0, 1, HOURS[prefix], 0, i)).toISOString(),
  request_id: `${prefix}-${i}`,
  model: 'penguins',
  version: '1',
  features: Object.fromEntries(PENGUIN_FEATURES.map((f) => [f, row[f]])),
  prediction: row.species,
})

beforeAll(async () => {
  modelsDir = await demoRepository()
  penguins = referenceRows(modelsDir, 'penguins')
  t = await createTestDriftApp(modelsDir, { window: { kind: 'count', size: 100 } })
})
afterAll(() => t.service.close())

const records = (path: string, body: unknown) =>
  t.post(`/v1/drift/penguins/${path}`, body).then(readJson)

describe('drift service', () => {
  it('finds no drift in traffic like the training data, and drift in shifted traffic', async () => {
    const like = penguins.slice(0, 100).map((row, i) => capture(row, i, 'a'))
    expect(await records('records', like)).toEqual({
      status: 202,
      body: { accepted: 100, rejected: [], rejected_count: 0 },
    })
    await t.service.idle()
    const first = await readJson(await t.app.request('/v1/drift/penguins/latest'))
    expect(first.status).toBe(200)
    expect(first.body.window).toMatchObject({ kind: 'count', rows: 100 })
    expect(first.body.drift.dataset_drift).toBe(false)
    expect(Object.keys(first.body.drift.features).sort()).toEqual(
      [...PENGUIN_FEATURES, 'prediction'].sort(),
    )

    // Bigger birds, all on one island: four of the seven monitored columns move.
    const shifted = penguins.slice(100, 200).map((row, i) =>
      capture(
        {
          ...row,
          bill_length_mm: (row.bill_length_mm as number) + 12,
          flipper_length_mm: (row.flipper_length_mm as number) + 25,
          body_mass_g: (row.body_mass_g as number) * 1.4,
          island: 'Biscoe',
        },
        i,
        'b',
      ),
    )
    const ndjson = shifted.map((r) => JSON.stringify(r)).join('\n')
    expect(
      (
        await t.post('/v1/drift/penguins/records', ndjson, {
          'content-type': 'application/x-ndjson',
        })
      ).status,
    ).toBe(202)
    await t.service.idle()
    const second = await readJson(await t.app.request('/v1/drift/penguins/latest'))
    expect(second.body.drift.dataset_drift).toBe(true)
    expect(second.body.drift.features.bill_length_mm).toMatchObject({ method: 'ks', drifted: true })
    expect(second.body.drift.features.island).toMatchObject({ type: 'categorical', drifted: true })
    expect(second.body.distributions.bill_length_mm.type).toBe('numerical')

    const history = await readJson(await t.app.request('/v1/drift/penguins/history?limit=10'))
    expect(
      history.body.evaluations.map(
        (e: { drift: { dataset_drift: boolean } }) => e.drift.dataset_drift,
      ),
    ).toEqual([true, false])

    const metrics = await (await t.app.request('/metrics')).text()
    expect(metrics).toContain('infera_drift_dataset_drift{model="penguins"} 1')
    expect(metrics).toContain('infera_drift_rows_ingested_total{model="penguins"} 200')
    expect(metrics).toContain('infera_drift_consecutive_drifted_windows{model="penguins"} 1')
    expect(metrics).toMatch(/infera_drift_feature_drifted\{model="penguins",feature="island"\} 1/)
    expect(metrics).toMatch(
      /infera_drift_feature_score\{model="penguins",feature="bill_length_mm",method="ks"\} 0\.\d+/,
    )

    const report = await t.app.request('/v1/drift/penguins/report')
    expect(report.status).toBe(200)
    expect(report.headers.get('content-type')).toMatch(/text\/html/)
    const html = await report.text()
    expect(html).toContain('penguins')
    expect(html).toContain('<svg')
  })

  it('counts data-quality problems instead of failing on them', async () => {
    const rows = penguins.slice(0, 100).map((row, i) => {
      const r = capture(row, i, 'q')
      if (i < 10) r.features.bill_depth_mm = null
      if (i >= 10 && i < 15) r.features.flipper_length_mm = 'long'
      if (i >= 15 && i < 35) r.features.body_mass_g = 99_999
      if (i >= 35 && i < 40) r.features.island = 'Atlantis'
      return r
    })
    await records('records', rows)
    await t.service.idle()
    const { body } = await readJson(await t.app.request('/v1/drift/penguins/latest'))
    expect(body.quality.features.bill_depth_mm).toMatchObject({ missing: 10, missing_rate: 0.1 })
    expect(body.quality.features.flipper_length_mm).toMatchObject({ wrong_type: 5 })
    expect(body.quality.features.body_mass_g).toMatchObject({
      out_of_range: 20,
      out_of_range_rate: 0.2,
    })
    expect(body.quality.features.island).toMatchObject({ unseen_category: 5 })
    const metrics = await (await t.app.request('/metrics')).text()
    expect(metrics).toContain(
      'infera_drift_out_of_range_rate{model="penguins",feature="body_mass_g"} 0.2',
    )
  })

  it('refuses bad records by index: none kept by default, the good ones kept with partial=true', async () => {
    const before = (await readJson(await t.app.request('/v1/drift/models'))).body.models[0]
      .rows_seen
    const batch = [
      capture(penguins[0] as Record<string, unknown>, 0, 'x'),
      'oops',
      { model: 'mpg', x: 1 },
    ]
    const strict = await records('records', batch)
    expect(strict.status).toBe(400)
    expect(strict.body.error).toMatch(/2 record\(s\) are invalid; none were ingested/)
    expect(strict.body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 2])
    expect((await readJson(await t.app.request('/v1/drift/models'))).body.models[0].rows_seen).toBe(
      before,
    )
    const partial = await t.post('/v1/drift/penguins/records?partial=true', batch).then(readJson)
    expect(partial).toMatchObject({ status: 422, body: { accepted: 1 } })
    expect((await readJson(await t.app.request('/v1/drift/models'))).body.models[0].rows_seen).toBe(
      before + 1,
    )
    expect((await records('records', '[{"a":')).body.error).toMatch(/not valid JSON/)
    expect((await t.post('/v1/drift/nomodel/records', [{ x: 1 }])).status).toBe(404)
  })

  it('joins labels that arrive later and reports model quality per window', async () => {
    const own = await createTestDriftApp(modelsDir, { window: { kind: 'count', size: 1000 } })
    const records = (path: string, body: unknown) =>
      own.post(`/v1/drift/penguins/${path}`, body).then(readJson)
    const rows = penguins.slice(0, 100).map((row, i) => capture(row, i, 'l'))
    await records('records', rows)
    const labels = rows
      .slice(0, 40)
      .map((r, i) => ({ request_id: r.request_id, label: i < 30 ? r.prediction : 'Chinstrap' }))
    const joined = await records('labels', [...labels, { request_id: 'never-seen', label: 'x' }])
    expect(joined).toEqual({
      status: 200,
      body: {
        accepted: 40,
        unknown: 1,
        unknown_request_ids: ['never-seen'],
        rejected: [],
        rejected_count: 0,
      },
    })
    const evaluation = await readJson(await own.post('/v1/drift/penguins/evaluate', {}))
    expect(evaluation.status).toBe(200)
    expect(evaluation.body.window.rows).toBe(100)
    expect(evaluation.body.performance).toMatchObject({ task: 'classification', labelled_rows: 40 })
    const wrong = labels.filter((l, i) => l.label !== rows[i]?.prediction).length
    expect(wrong).toBeGreaterThan(0)
    expect(evaluation.body.performance.accuracy).toBeCloseTo(1 - wrong / 40)
    await own.service.close()
  })

  it('takes a reference over the API for a model outside the repository', async () => {
    const reference = Array.from({ length: 300 }, (_, i) => ({
      x: Math.sin(i) * 10,
      colour: i % 3 ? 'red' : 'blue',
    }))
    expect((await t.post('/v1/drift/custom/reference', reference)).status).toBe(201)
    expect((await t.post('/v1/drift/custom/evaluate', {})).status).toBe(409)
    await t.post('/v1/drift/custom/records', reference.slice(0, 50))
    const evaluation = await readJson(await t.post('/v1/drift/custom/evaluate', {}))
    expect(evaluation.body.window.rows).toBe(50)
    expect(evaluation.body.drift.dataset_drift).toBe(false)
    expect((await t.post('/v1/drift/custom/reference', { x: 1 })).status).toBe(400)
  })

  it('lists, logs once and explains a model it is sent records for but cannot watch', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) })
    const own = await createTestDriftApp(modelsDir, { logger })
    const rows = [{ x: 1 }, { x: 2 }]
    // The capture sends again and again: one log line, one entry.
    for (let poll = 0; poll < 3; poll++) {
      const refused = await readJson(await own.post('/v1/drift/byom/records', rows))
      expect(refused.status).toBe(404)
      expect(refused.body).toMatchObject({ status: 'no_reference' })
      expect(refused.body.error).toMatch(
        /no reference for model 'byom'.*\/v1\/drift\/byom\/reference/,
      )
    }
    const logged = lines.map((line) => JSON.parse(line)).filter((l) => l.model === 'byom')
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ level: 40, status: 'no_reference' })
    const listed = async () =>
      (await readJson(await own.app.request('/v1/drift/models'))).body.models
    expect((await listed()).filter((m: { model: string }) => m.model === 'byom')).toEqual([
      expect.objectContaining({ model: 'byom', status: 'no_reference', reason: logged[0].msg }),
    ])
    const latest = await readJson(await own.app.request('/v1/drift/byom/latest'))
    expect(latest).toMatchObject({ status: 404, body: { status: 'no_reference' } })
    expect(latest.body.error).not.toMatch(/yet/)
    expect((await readJson(await own.app.request('/v1/drift/byom/report'))).body.status).toBe(
      'no_reference',
    )
    // Given its reference, it is watched and no longer listed as unwatchable.
    expect((await own.post('/v1/drift/byom/reference', rows)).status).toBe(201)
    expect((await own.post('/v1/drift/byom/records', rows)).status).toBe(202)
    expect((await listed()).filter((m: { model: string }) => m.model === 'byom')).toEqual([
      expect.objectContaining({ model: 'byom', status: 'watching' }),
    ])
    await own.service.close()
  })

  it('answers unknown models, routes and oversized bodies with clear 4xx errors', async () => {
    expect((await readJson(await t.app.request('/v1/drift/ghost/latest'))).body.error).toMatch(
      /no evaluation of model 'ghost'/,
    )
    expect((await t.app.request('/v1/drift/penguins/history?limit=0')).status).toBe(400)
    expect((await t.app.request('/v1/drift/penguins/report?window=nope')).status).toBe(404)
    expect((await t.app.request('/v2/nothing')).status).toBe(404)
    const small = await createTestDriftApp(modelsDir, { maxBodyBytes: 64 })
    expect((await small.post('/v1/drift/penguins/records', 'x'.repeat(100))).status).toBe(413)
    await small.service.close()
  })
})

describe('retraining on persistent drift', () => {
  it('trains the next model version locally after two drifted windows, with the labels that came back', async () => {
    const dir = await demoRepository()
    const rows = referenceRows(dir, 'penguins')
    const labelledDir = tempDir('infera-labelled-')
    const own = await createTestDriftApp(dir, {
      window: { kind: 'count', size: 100 },
      trainer: new LocalTrainer({ modelsDir: dir, captureDir: labelledDir }),
      retrain: { consecutiveWindows: 2, cooldownMs: 60_000 },
      labelledDir,
    })
    // The field team now measures in centimetres and kilograms: a drift that labels teach the model.
    const metric = (row: Record<string, unknown>) => ({
      ...row,
      bill_length_mm: (row.bill_length_mm as number) / 10,
      bill_depth_mm: (row.bill_depth_mm as number) / 10,
      flipper_length_mm: (row.flipper_length_mm as number) / 10,
      body_mass_g: (row.body_mass_g as number) / 1000,
    })
    const kilograms = (offset: number) =>
      rows.slice(offset, offset + 100).map((row, i) => ({
        ...capture(metric(row), i, 'l'),
        ts: new Date(Date.UTC(2026, 1, 1, offset, 0, i)).toISOString(),
        request_id: `kg-${offset}-${i}`,
      }))
    const first = kilograms(0)
    await own.post('/v1/drift/penguins/records', first)
    await own.post(
      '/v1/drift/penguins/labels',
      first.map((r) => ({ request_id: r.request_id, label: r.prediction })),
    )
    await own.service.idle()
    expect(existsSync(join(dir, 'penguins', '2'))).toBe(false)
    await own.post('/v1/drift/penguins/records', kilograms(100))
    await own.service.idle()
    const { body } = await readJson(await own.app.request('/v1/drift/penguins/retrain-jobs'))
    expect(body.jobs).toHaveLength(1)
    expect(body.jobs[0]).toMatchObject({
      trainer: 'local',
      status: 'completed',
      model: 'penguins',
      version: '1',
    })
    expect(body.jobs[0].windows).toHaveLength(2)
    expect(body.jobs[0].details).toMatchObject({ version: '2' })
    expect(existsSync(join(dir, 'penguins', '2', 'model.onnx'))).toBe(true)
    const metrics = await (await own.app.request('/metrics')).text()
    expect(metrics).toContain(
      'infera_drift_retrain_jobs_total{model="penguins",trainer="local",status="completed"} 1',
    )
    await own.service.close()
  })
})

describe('time windows', () => {
  it('closes a window on the clock when the stream goes quiet, and evaluates it', async () => {
    const start = Date.UTC(2026, 2, 1, 12, 0, 0)
    let clock = start
    const own = await createTestDriftApp(modelsDir, {
      window: { kind: 'time', size: 60_000, now: () => clock },
    })
    const rows = penguins.slice(0, 80).map((row, i) => ({
      ...capture(row, i, 'a'),
      ts: new Date(start + i * 500).toISOString(),
    }))
    expect((await own.post('/v1/drift/penguins/records', rows)).status).toBe(202)
    await own.service.tick()
    await own.service.idle()
    expect((await own.app.request('/v1/drift/penguins/latest')).status).toBe(404)
    clock = start + 61_000
    await own.service.tick()
    await own.service.idle()
    const { body } = await readJson(await own.app.request('/v1/drift/penguins/latest'))
    expect(body.window).toMatchObject({
      kind: 'time',
      rows: 80,
      start: new Date(start).toISOString(),
    })
    expect(await (await own.app.request('/metrics')).text()).toContain(
      'infera_drift_evaluations_total{model="penguins",trigger="schedule"} 1',
    )
    await own.service.close()
  })
})

describe('sketch-based KS for streams', () => {
  it('tests numerical features on sketches, with a threshold widened by their error', async () => {
    const own = await createTestDriftApp(modelsDir, {
      window: { kind: 'count', size: 200 },
      sketchKs: true,
    })
    const shifted = [...penguins, ...penguins]
      .slice(0, 200)
      .map((row, i) =>
        capture({ ...row, flipper_length_mm: (row.flipper_length_mm as number) + 30 }, i, 'b'),
      )
    await own.post('/v1/drift/penguins/records', shifted)
    await own.service.idle()
    const { body } = await readJson(await own.app.request('/v1/drift/penguins/latest'))
    const { flipper_length_mm: flipper, bill_depth_mm: depth, island } = body.drift.features
    expect(flipper).toMatchObject({
      type: 'numerical',
      method: 'ks_sketch',
      p_value: null,
      drifted: true,
    })
    expect(flipper.threshold).toBeGreaterThan(0.05)
    expect(flipper.statistic).toBeGreaterThan(flipper.threshold)
    expect(depth).toMatchObject({ method: 'ks_sketch', drifted: false })
    // Categorical features keep their sample tests.
    expect(island.method).toBe('chisquare')
    expect(body.drift.drifted_columns).toBe(
      Object.values(body.drift.features).filter((f) => (f as { drifted: boolean }).drifted).length,
    )
    await own.service.close()
  })
})

describe('trust boundary', () => {
  const get = (app: typeof t, path: string) => app.app.request(path)

  it('takes records, references and evaluations only with drift:ingest, labels only with drift:labels', async () => {
    const own = await createTestDriftApp(modelsDir)
    const rows = penguins.slice(0, 10).map((row, i) => capture(row, i, 'a'))
    const none = { authorization: '' }
    for (const path of ['records', 'labels', 'reference', 'evaluate']) {
      const refused = await own.post(`/v1/drift/penguins/${path}`, rows, none)
      expect(refused.status, path).toBe(401)
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/)
      const forged = await own.post(`/v1/drift/penguins/${path}`, rows, bearer('guessed'))
      expect(forged.status, path).toBe(401)
    }
    // Each holder only what its scope allows.
    const labelsAsIngest = await own.post(
      '/v1/drift/penguins/labels',
      [],
      bearer(TEST_TOKENS.ingest),
    )
    expect(labelsAsIngest.status).toBe(403)
    const recordsAsLabeller = await own.post(
      '/v1/drift/penguins/records',
      rows,
      bearer(TEST_TOKENS.labels),
    )
    expect(recordsAsLabeller.status).toBe(403)
    expect((await own.post('/v1/drift/penguins/records', rows)).status).toBe(202)
    // Reads stay open.
    expect((await get(own, '/v1/drift/models')).status).toBe(200)
    expect((await get(own, '/metrics')).status).toBe(200)
    expect((await get(own, '/v1/drift/penguins/retrain-jobs')).status).toBe(200)
    await own.service.close()

    // A service without credentials takes no writes at all.
    const closed = await createTestDriftApp(modelsDir, { credentials: [] })
    expect((await closed.post('/v1/drift/penguins/records', rows)).status).toBe(403)
    await closed.service.close()
  })

  it('joins labels only to captured predictions, once, and counts the rest as unknown', async () => {
    const own = await createTestDriftApp(modelsDir, { window: { kind: 'count', size: 1000 } })
    const rows = penguins.slice(0, 30).map((row, i) => capture(row, i, 'l'))
    await own.post('/v1/drift/penguins/records', rows)
    // An outsider's own ids, 5,000 of them: none joins, and the answer stays small.
    const forged = Array.from({ length: 5000 }, (_, i) => ({ request_id: `evil-${i}`, label: 'x' }))
    const mine = rows.slice(0, 10).map((r) => ({ request_id: r.request_id, label: r.prediction }))
    const answer = await readJson(await own.post('/v1/drift/penguins/labels', [...mine, ...forged]))
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ accepted: 10, unknown: 5000, rejected_count: 0 })
    expect(answer.body.unknown_request_ids).toHaveLength(20)
    expect(answer.body.unknown_request_ids[0]).toBe('evil-0')
    // A second label for the same prediction goes nowhere.
    const again = await readJson(await own.post('/v1/drift/penguins/labels', mine))
    expect(again.body).toMatchObject({ accepted: 0, unknown: 10 })
    const bad = await readJson(
      await own.post('/v1/drift/penguins/labels', [
        { request_id: 'x'.repeat(300), label: 'y' },
        {},
      ]),
    )
    expect(bad).toMatchObject({ status: 422, body: { accepted: 0, rejected_count: 2 } })
    const metrics = await (await get(own, '/metrics')).text()
    expect(metrics).toContain('infera_drift_labels_total{model="penguins",result="matched"} 10')
    await own.service.close()
  })

  it('refuses a record from outside 2000..now+1 day by index, and the model keeps being evaluated', async () => {
    const own = await createTestDriftApp(modelsDir)
    const rows = penguins.slice(0, 100).map((row, i) => capture(row, i, 'a'))
    const wild = [{ ...rows[0], ts: 1e20 }, ...rows.slice(1)]
    const refused = await readJson(await own.post('/v1/drift/penguins/records', wild))
    expect(refused).toMatchObject({
      status: 400,
      body: { rejected: [{ index: 0, error: expect.stringMatching(/^'ts' must be from 2000/) }] },
    })
    expect((await own.post('/v1/drift/penguins/records', rows)).status).toBe(202)
    await own.service.idle()
    expect((await readJson(await get(own, '/v1/drift/penguins/latest'))).body.window.rows).toBe(100)
    expect((await own.post('/v1/drift/penguins/evaluate', {})).status).toBe(409)
    await own.service.close()
  })

  it('answers a flood of bad records briefly, and refuses batches past the limits', async () => {
    // 2 MB of bad NDJSON once made an 88.9 MB answer.
    const line = `{"features": ${'x'.repeat(1000)}}`
    const flood = Array.from({ length: 2000 }, () => line).join('\n')
    const strict = await t.post('/v1/drift/penguins/records', flood, {
      'content-type': 'application/x-ndjson',
    })
    expect(strict.status).toBe(400)
    const text = await strict.text()
    expect(text.length).toBeLessThan(10_000)
    expect(JSON.parse(text)).toMatchObject({
      error: 'at least 20 record(s) are invalid; none were ingested',
      rejected_count: 20,
    })
    const partial = await t.post('/v1/drift/penguins/records?partial=true', flood)
    expect(partial.status).toBe(422)
    expect(await partial.json()).toMatchObject({ accepted: 0, rejected_count: 2000 })

    const tooMany = await t.post('/v1/drift/penguins/records', '{"x":1}\n'.repeat(50_001))
    expect(tooMany.status).toBe(413)
    const bigLabels = await t.post('/v1/drift/penguins/labels', 'x'.repeat(5 * 1024 * 1024))
    expect(bigLabels.status).toBe(413)
  })

  it('gives unknown and malformed model names no series in /metrics', async () => {
    for (let i = 0; i < 50; i++) {
      expect((await t.post(`/v1/drift/ghost-${i}/records`, ['oops'])).status).toBe(404)
    }
    expect((await t.post(`/v1/drift/${'m'.repeat(200)}/records`, [{ x: 1 }])).status).toBe(400)
    expect(await (await get(t, '/metrics')).text()).not.toContain('ghost-')
  })
})
