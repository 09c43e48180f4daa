import { Hono } from 'hono'
import type { Logger } from 'pino'
import { limitBody } from '../../../shared/body-limit/index.ts'
import { healthRoutes } from '../../../shared/health/index.ts'
import { type ColumnType, DriftInputError } from '../detect/index.ts'
import { IngestError } from '../ingest/index.ts'
import type { DriftMetrics } from '../metrics/index.ts'
import { buildProfile } from '../profile/index.ts'
import type { MemoryReferences } from '../references/index.ts'
import { renderDriftReport } from '../report/index.ts'
import { DriftRequestError, type DriftService } from '../service/index.ts'
import type { DriftStore } from '../store/index.ts'

export interface DriftAppOptions {
  service: DriftService
  store: DriftStore
  metrics: DriftMetrics
  logger: Logger
  /** Where references given over the API are kept. */
  uploaded: MemoryReferences
  maxBodyBytes: number
  isReady: () => boolean
}

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
const MAX_HISTORY = 1000

/** The drift service's HTTP API. */
export function createDriftApp(options: DriftAppOptions) {
  const { service, store, metrics, logger, uploaded } = options
  const app = new Hono()
  app.use('*', limitBody(options.maxBodyBytes))

  app.route('/', healthRoutes(options.isReady))
  app.get('/metrics', async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  )

  app.get('/v1/drift/models', async (c) => c.json({ models: await service.models() }))

  app.post('/v1/drift/:model/records', async (c) => {
    const partial = c.req.query('partial') === 'true'
    const result = await service.ingest(c.req.param('model'), await c.req.text(), { partial })
    // With partial, good records were kept: 422 still tells the sender some were refused.
    return c.json(result, result.rejected.length > 0 ? 422 : 202)
  })

  app.post('/v1/drift/:model/labels', async (c) => {
    const result = await service.label(c.req.param('model'), await c.req.text())
    return c.json(result, result.rejected.length > 0 ? 422 : 200)
  })

  app.post('/v1/drift/:model/evaluate', async (c) =>
    c.json(await service.evaluateNow(c.req.param('model'))),
  )

  app.get('/v1/drift/:model/latest', async (c) => {
    const model = c.req.param('model')
    const latest = await store.latest(model)
    if (!latest) throw new DriftRequestError(404, `no evaluation of model '${model}' yet`)
    return c.json(latest)
  })

  app.get('/v1/drift/:model/history', async (c) => {
    const limit = Number(c.req.query('limit') ?? 100)
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY) {
      throw new DriftRequestError(400, `limit must be an integer from 1 to ${MAX_HISTORY}`)
    }
    const before = c.req.query('before')
    if (before !== undefined && Number.isNaN(Date.parse(before))) {
      throw new DriftRequestError(400, "'before' must be an ISO 8601 time")
    }
    const history = await store.history(c.req.param('model'), {
      limit,
      ...(before ? { before } : {}),
    })
    return c.json({ evaluations: history })
  })

  app.get('/v1/drift/:model/report', async (c) => {
    const model = c.req.param('model')
    const windowId = c.req.query('window')
    const evaluation = windowId
      ? (await store.history(model, { limit: MAX_HISTORY })).find((e) => e.window.id === windowId)
      : await store.latest(model)
    if (!evaluation) {
      throw new DriftRequestError(
        404,
        windowId
          ? `no evaluation of window '${windowId}'`
          : `no evaluation of model '${model}' yet`,
      )
    }
    return c.html(renderDriftReport(evaluation))
  })

  app.post('/v1/drift/:model/reference', async (c) => {
    const model = c.req.param('model')
    const version = c.req.query('version') ?? '1'
    if (!/^[1-9][0-9]*$/.test(version))
      throw new DriftRequestError(400, 'version must be a positive integer')
    const task = c.req.query('task')
    if (task !== undefined && task !== 'classification' && task !== 'regression') {
      throw new DriftRequestError(400, 'task must be classification or regression')
    }
    const rows = await c.req.json().catch(() => undefined)
    if (
      !Array.isArray(rows) ||
      rows.length === 0 ||
      !rows.every((r) => r && typeof r === 'object' && !Array.isArray(r))
    ) {
      throw new DriftRequestError(400, 'the body must be a non-empty JSON array of row objects')
    }
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
    const table = Object.fromEntries(columns.map((name) => [name, rows.map((r) => cell(r[name]))]))
    const types = c.req.query('categorical')?.split(',').filter(Boolean) ?? []
    const profile = buildProfile(table, {
      types: Object.fromEntries(types.map((t) => [t, 'categorical' as ColumnType])),
    })
    uploaded.set({ model, version, profile, ...(task ? { task } : {}) })
    return c.json(
      { model, version, rows: profile.rows, columns: Object.keys(profile.columns) },
      201,
    )
  })

  app.get('/v1/drift/:model/retrain-jobs', async (c) =>
    c.json({ jobs: await store.retrainJobs(c.req.param('model')) }),
  )

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404))
  app.onError((error, c) => {
    if (error instanceof DriftRequestError)
      return c.json({ error: error.message, ...error.details }, error.status)
    if (error instanceof IngestError || error instanceof DriftInputError)
      return c.json({ error: error.message }, 400)
    logger.error({ err: error, path: c.req.path }, 'unhandled error')
    return c.json({ error: `internal error: ${error.message}` }, 500)
  })
  return app
}

/** A JSON cell as a table value: numbers and text as they are, anything else missing. */
const cell = (value: unknown) =>
  typeof value === 'number' || typeof value === 'string' ? value : null
