import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWith } from '../../../../testing/tools/index.ts'
import { postgresServer } from '../../../shared/database/testing.ts'
import type { DriftEvaluation } from '../evaluation/index.ts'
import { type DriftStore, openDriftStore, type RetrainJob } from './index.ts'

const minute = (m: number) => new Date(Date.UTC(2025, 5, 1, 0, m)).toISOString()
const hour = (h: number) => new Date(Date.UTC(2025, 0, 1, h)).toISOString()

let models = 0
// Every test works on models of its own, so the backends' stores are shared within a suite.
const newModel = () => `model-${++models}`

/** An evaluation of window `window` made at minute `at`, with values that are hard to round-trip. */
function evaluation(
  model: string,
  at: number,
  { window = at, drifted = true }: { window?: number; drifted?: boolean } = {},
): DriftEvaluation {
  const version = '3'
  const [start, end] = [hour(window), hour(window + 1)]
  return {
    model,
    version,
    evaluated_at: minute(at),
    window: { id: `${model}:${version}:${start}:${end}`, kind: 'time', start, end, rows: 500 },
    reference_rows: 12_000,
    drift: {
      drift_share: 0.5,
      dataset_drift: drifted,
      share_drifted: drifted ? 2 / 3 : 1 / 3,
      drifted_columns: drifted ? 2 : 1,
      number_of_columns: 3,
      features: {
        age: {
          type: 'numerical',
          method: 'ks',
          statistic: 0.1 + 0.2,
          p_value: 1e-300,
          adjusted_p_value: 3e-300,
          threshold: 0.05,
          drifted: true,
        },
        income: {
          type: 'numerical',
          method: 'wasserstein',
          statistic: Number.MAX_VALUE,
          p_value: null,
          threshold: 0.1,
          drifted,
        },
        'city "name" ✓': {
          type: 'categorical',
          method: 'chisquare',
          statistic: 5e-324,
          p_value: 0.9999999999999999,
          threshold: 0.05,
          drifted: false,
        },
      },
      warnings: ['age: 500 × 12 000 rows make the KS test very sensitive'],
    },
    quality: {
      rows: 500,
      features: {
        age: {
          missing: 3,
          out_of_range: 1,
          unseen_category: 0,
          wrong_type: 0,
          missing_rate: 0.006,
          out_of_range_rate: 0.002,
          unseen_category_rate: 0,
          wrong_type_rate: 0,
        },
      },
      missing_features: [],
      unknown_features: ['extra\\field'],
    },
    performance: { task: 'classification', labelled_rows: 120, accuracy: 0.875, macro_f1: 6 / 7 },
    distributions: {
      age: { type: 'numerical', edges: [-1.5, 12.25, 26], reference: [0.4, 0.6], current: [1, 0] },
      'city "name" ✓': {
        type: 'categorical',
        categories: ['Zürich', '東京', ''],
        reference: [0.5, 0.25, 0.25],
        current: [1 / 3, 1 / 3, 1 / 3],
      },
    },
  }
}

function job(model: string, id: string, at: number): RetrainJob {
  return {
    id,
    model,
    version: '3',
    trainer: 'sagemaker',
    status: 'started',
    windows: [`${model}:3:a`, `${model}:3:b`],
    reason: '3 drifted windows in a row',
    created_at: minute(at),
    updated_at: minute(at),
    details: { trainingJob: `train-${id}`, attempt: 1, hyperparameters: { depth: 6, eta: null } },
  }
}

/** What every backend must do, on a store shared by the tests. */
function storeContract(open: () => Promise<DriftStore>) {
  let store: DriftStore
  beforeAll(async () => {
    store = await open()
  })
  afterAll(() => store.close())

  const saveAll = async (evaluations: DriftEvaluation[]) => {
    for (const e of evaluations) await store.saveEvaluation(e)
  }
  const times = (evaluations: DriftEvaluation[]) => evaluations.map((e) => e.evaluated_at)

  it('gives back exactly the evaluation it stored', async () => {
    const model = newModel()
    const saved = evaluation(model, 1)
    await store.saveEvaluation(saved)
    expect(await store.latest(model)).toStrictEqual(saved)
    expect(await store.history(model)).toStrictEqual([saved])
  })

  it('knows nothing of a model never evaluated', async () => {
    const model = newModel()
    expect(await store.latest(model)).toBeUndefined()
    expect(await store.history(model)).toEqual([])
    expect(await store.consecutiveDrifted(model)).toBe(0)
    expect(await store.retrainJobs(model)).toEqual([])
  })

  it('finds the latest evaluation by evaluated_at, whatever order they were saved in', async () => {
    const [model, other] = [newModel(), newModel()]
    await saveAll([evaluation(model, 2), evaluation(model, 1), evaluation(other, 3)])
    expect((await store.latest(model))?.evaluated_at).toBe(minute(2))
  })

  it('replaces an evaluation of the same window with a later one, not with an older one', async () => {
    const model = newModel()
    const later = evaluation(model, 2, { window: 0, drifted: true })
    await saveAll([evaluation(model, 1, { window: 0, drifted: false }), later])
    expect(await store.history(model)).toStrictEqual([later])
    expect(await store.consecutiveDrifted(model)).toBe(1)

    await store.saveEvaluation(evaluation(model, 0, { window: 0, drifted: false }))
    expect(await store.history(model)).toStrictEqual([later])
  })

  it('pages through history newest first', async () => {
    const model = newModel()
    await saveAll([3, 0, 4, 1, 2].map((at) => evaluation(model, at)))
    expect(times(await store.history(model))).toEqual([4, 3, 2, 1, 0].map(minute))
    expect(times(await store.history(model, { limit: 2 }))).toEqual([minute(4), minute(3)])
    const page2 = await store.history(model, { limit: 2, before: minute(3) })
    expect(times(page2)).toEqual([minute(2), minute(1)])
    expect(times(await store.history(model, { limit: 2, before: minute(1) }))).toEqual([minute(0)])
    // minute(3) again, written with an offset.
    const before = '2025-06-01T02:03:00+02:00'
    expect(times(await store.history(model, { before }))).toEqual([2, 1, 0].map(minute))
  })

  it('returns 100 evaluations by default and at most 1000', async () => {
    const model = newModel()
    await saveAll(Array.from({ length: 1001 }, (_, i) => evaluation(model, i)))
    const page = await store.history(model)
    expect(page).toHaveLength(100)
    expect(page[0]?.evaluated_at).toBe(minute(1000))
    expect(await store.history(model, { limit: 5000 })).toHaveLength(1000)
  })

  it('rejects a limit that is not a positive integer and a before that is not a time', async () => {
    for (const limit of [0, -1, 2.5, Number.NaN]) {
      await expect(store.history('any', { limit })).rejects.toThrow(RangeError)
    }
    await expect(store.history('any', { before: 'yesterday' })).rejects.toThrow(RangeError)
  })

  it('counts the newest evaluations in a row that found drift', async () => {
    const model = newModel()
    // Saved newest first: the count follows evaluated_at, not the order of saving.
    const drifts = [true, false, true, true]
    await saveAll(drifts.map((drifted, at) => evaluation(model, at, { drifted })).reverse())
    expect(await store.consecutiveDrifted(model)).toBe(2)
    await store.saveEvaluation(evaluation(model, 4, { drifted: false }))
    expect(await store.consecutiveDrifted(model)).toBe(0)
    await store.saveEvaluation(evaluation(model, 5, { drifted: true }))
    expect(await store.consecutiveDrifted(model)).toBe(1)

    const always = newModel()
    await saveAll([0, 1, 2].map((at) => evaluation(always, at)))
    expect(await store.consecutiveDrifted(always)).toBe(3)
  })

  it('keeps the numbers JSON cannot hold (NaN, ±Infinity) exactly, rather than as null', async () => {
    const model = newModel()
    const odd = evaluation(model, 0)
    odd.drift.share_drifted = Number.NaN
    const feature = Object.values(odd.drift.features)[0] as { statistic: number }
    feature.statistic = Number.POSITIVE_INFINITY
    await store.saveEvaluation(odd)
    const back = await store.latest(model)
    expect(back?.drift.share_drifted).toBeNaN()
    expect((Object.values(back?.drift.features ?? {})[0] as { statistic: number }).statistic).toBe(
      Number.POSITIVE_INFINITY,
    )
    expect(back).toEqual(odd)
    const infinite = { ...job(model, `${model}-j`, 0), details: { loss: Number.NEGATIVE_INFINITY } }
    await store.saveRetrainJob(infinite)
    expect((await store.retrainJobs(model))[0]?.details).toEqual({ loss: Number.NEGATIVE_INFINITY })
  })

  it('lists a model’s retraining jobs newest first, exactly as saved', async () => {
    const [model, other] = [newModel(), newModel()]
    const [first, second] = [job(model, `${model}-1`, 1), job(model, `${model}-2`, 2)]
    for (const j of [second, job(other, `${other}-1`, 3), first]) await store.saveRetrainJob(j)
    expect(await store.retrainJobs(model)).toStrictEqual([second, first])
  })

  it('updates a job’s status, merges its details and stamps updated_at', async () => {
    const model = newModel()
    const saved = job(model, `${model}-1`, 1)
    await store.saveRetrainJob(saved)
    const before = Date.now()
    await store.updateRetrainJob(saved.id, {
      status: 'completed',
      details: { attempt: 2, artifact: 's3://models/m/4.onnx' },
    })
    const [updated] = await store.retrainJobs(model)
    expect(updated).toStrictEqual({
      ...saved,
      status: 'completed',
      details: { ...saved.details, attempt: 2, artifact: 's3://models/m/4.onnx' },
      updated_at: expect.any(String),
    })
    expect(Date.parse(updated?.updated_at ?? '')).toBeGreaterThanOrEqual(before)

    await store.updateRetrainJob(saved.id, { status: 'failed' })
    expect((await store.retrainJobs(model))[0]).toMatchObject({
      status: 'failed',
      details: updated?.details,
    })
  })

  it('refuses to update a job that does not exist or to save one twice', async () => {
    const model = newModel()
    await expect(store.updateRetrainJob(`${model}-none`, { status: 'failed' })).rejects.toThrow(
      /no retrain job/,
    )
    const saved = job(model, `${model}-1`, 1)
    await store.saveRetrainJob(saved)
    await expect(store.saveRetrainJob({ ...saved, reason: 'again' })).rejects.toThrow()
    expect(await store.retrainJobs(model)).toStrictEqual([saved])
  })
}

describe('PGlite in memory', () => {
  storeContract(() => openDriftStore({}))
})

describe('PGlite in a directory', () => {
  const dirs: string[] = []
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infera-drift-store-'))
    dirs.push(dir)
    return dir
  }
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  // A directory not made yet, as a first start would find it.
  storeContract(async () => openDriftStore({ dataDir: join(await tempDir(), 'var', 'drift') }))

  it('keeps evaluations and jobs when reopened', async () => {
    const dataDir = await tempDir()
    const model = newModel()
    const [saved, savedJob] = [evaluation(model, 1), job(model, `${model}-1`, 1)]
    const first = await openDriftStore({ dataDir })
    await first.saveEvaluation(saved)
    await first.saveRetrainJob(savedJob)
    await first.close()

    const reopened = await openDriftStore({ dataDir })
    try {
      expect(await reopened.latest(model)).toStrictEqual(saved)
      expect(await reopened.retrainJobs(model)).toStrictEqual([savedJob])
    } finally {
      await reopened.close()
    }
  })
})

describeWith({ server: postgresServer }, 'PostgreSQL', ({ server }) => {
  storeContract(async () => openDriftStore({ databaseUrl: await server.createDatabase() }))
})
