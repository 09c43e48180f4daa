import { Hono } from 'hono'
import type { Logger } from 'pino'
import { limitBody } from '../../../shared/body-limit/index.ts'
import {
  type Credential,
  CredentialVerifier,
  requireScope,
} from '../../../shared/credentials/index.ts'
import { healthRoutes } from '../../../shared/health/index.ts'
import { type ColumnType, DriftInputError } from '../detect/index.ts'
import { IngestError, TooManyRecordsError } from '../ingest/index.ts'
import type { DriftMetrics } from '../metrics/index.ts'
import { buildProfile } from '../profile/index.ts'
import type { MemoryReferences } from '../references/index.ts'
import { MAX_TIMELINE_WINDOWS, renderDriftReport } from '../report/index.ts'
import { DriftRequestError, type DriftService, SERVICE_LIMITS } from '../service/index.ts'
import type { DriftStore } from '../store/index.ts'

export interface DriftAppOptions {
  service: DriftService
  store: DriftStore
  metrics: DriftMetrics
  logger: Logger
  /** Where references given over the API are kept. */
  uploaded: MemoryReferences
  /** The largest body of any request; each endpoint may allow less (BODY_LIMITS). */
  maxBodyBytes: number
  /**
   * Who may change what the service learns from: ingest (`drift:ingest`: records, references,
   * evaluations on demand) and labels (`drift:labels`). None: every such call is a 403.
   */
  credentials: readonly Credential[]
  isReady: () => boolean
}

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
/** Per endpoint, in bytes: a batch of records, of labels, a reference, an evaluation request. */
export const BODY_LIMITS = {
  records: 16 * 1024 * 1024,
  labels: 4 * 1024 * 1024,
  reference: 32 * 1024 * 1024,
  evaluate: 1024,
} as const
const MAX_HISTORY = 1000
const MAX_REFERENCE_COLUMNS = 1000
/** Model names in paths: what a registry or repository would hold. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** The drift service's HTTP API. */
export function createDriftApp(options: DriftAppOptions) {
  const { service, store, metrics, logger, uploaded } = options
  const app = new Hono()
  const verifier = new CredentialVerifier(options.credentials)
  // Credentials first, from the headers alone: a refused caller's body is never read.
  const guard = (scope: 'drift:ingest' | 'drift:labels', endpoint: keyof typeof BODY_LIMITS) =>
    [
      requireScope(verifier, scope),
      limitBody(Math.min(options.maxBodyBytes, BODY_LIMITS[endpoint])),
    ] as const
  app.use('*', limitBody(options.maxBodyBytes))
  app.use('/v1/drift/:model/*', async (c, next) => {
    if (!MODEL_NAME.test(c.req.param('model') ?? ''))
      throw new DriftRequestError(400, 'a model name is 1-128 of A-Z a-z 0-9 . _ - (not first)')
    await next()
  })

  app.route('/', healthRoutes(options.isReady))
  app.get('/metrics', async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  )

  app.get('/v1/drift/models', async (c) => c.json({ models: await service.models() }))

  app.post('/v1/drift/:model/records', ...guard('drift:ingest', 'records'), async (c) => {
    const partial = c.req.query('partial') === 'true'
    const result = await service.ingest(c.req.param('model'), await c.req.text(), { partial })
    // With partial, good records were kept: 422 still tells the sender some were refused.
    return c.json(result, result.rejected_count > 0 ? 422 : 202)
  })

  app.post('/v1/drift/:model/labels', ...guard('drift:labels', 'labels'), async (c) => {
    const result = await service.label(c.req.param('model'), await c.req.text())
    return c.json(result, result.rejected_count > 0 ? 422 : 200)
  })

  // An evaluation on demand is stored and counts towards a drift streak (and retraining).
  app.post('/v1/drift/:model/evaluate', ...guard('drift:ingest', 'evaluate'), async (c) =>
    c.json(await service.evaluateNow(c.req.param('model'))),
  )

  /** The 404 for a model without evaluations: why, when drift can't watch it. */
  const noEvaluation = (model: string) => {
    const unwatched = service.unwatched(model)
    return unwatched
      ? new DriftRequestError(404, unwatched.reason, { status: unwatched.status })
      : new DriftRequestError(404, `no evaluation of model '${model}' yet`)
  }

  app.get('/v1/drift/:model/latest', async (c) => {
    const model = c.req.param('model')
    const latest = await store.latest(model)
    if (!latest) throw noEvaluation(model)
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
      throw windowId
        ? new DriftRequestError(404, `no evaluation of window '${windowId}'`)
        : noEvaluation(model)
    }
    // The windows up to this one, for the drift-over-time charts.
    const earlier = await store.history(model, {
      limit: MAX_TIMELINE_WINDOWS - 1,
      before: evaluation.evaluated_at,
    })
    return c.html(renderDriftReport(evaluation, { history: [evaluation, ...earlier] }))
  })

  // What drift is measured against: the same trust as the data measured.
  app.post('/v1/drift/:model/reference', ...guard('drift:ingest', 'reference'), async (c) => {
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
    if (columns.length > MAX_REFERENCE_COLUMNS)
      throw new DriftRequestError(400, `a reference has at most ${MAX_REFERENCE_COLUMNS} columns`)
    const table = Object.fromEntries(columns.map((name) => [name, rows.map((r) => cell(r[name]))]))
    const types = c.req.query('categorical')?.split(',').filter(Boolean) ?? []
    const profile = buildProfile(table, {
      types: Object.fromEntries(types.map((t) => [t, 'categorical' as ColumnType])),
    })
    // Each is a profile kept in memory: as many as monitors may be watched at once.
    if (!uploaded.has(model, version) && uploaded.size >= SERVICE_LIMITS.monitors)
      throw new DriftRequestError(429, `${uploaded.size} references were given already, the limit`)
    uploaded.set({ model, version, profile, ...(task ? { task } : {}) })
    return c.json(
      {
        model,
        version,
        rows: profile.rows,
        columns: Object.keys(profile.columns),
        ...(profile.embeddings ? { embeddings: Object.keys(profile.embeddings) } : {}),
      },
      201,
    )
  })

  app.get('/v1/drift/:model/retrain-jobs', async (c) =>
    c.json({ jobs: await store.retrainJobs(c.req.param('model')) }),
  )

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404))
  app.onError((error, c) => {
    if (error instanceof DriftRequestError) {
      if (error.status === 503) c.header('Retry-After', '5')
      return c.json({ error: error.message, ...error.details }, error.status)
    }
    if (error instanceof TooManyRecordsError) return c.json({ error: error.message }, 413)
    if (error instanceof IngestError || error instanceof DriftInputError)
      return c.json({ error: error.message }, 400)
    logger.error({ err: error, path: c.req.path }, 'unhandled error')
    return c.json({ error: `internal error: ${error.message}` }, 500)
  })
  return app
}

/**
 * A JSON cell as a table value: numbers and text as they are, an array (a vector) as its JSON
 * text, which the profile reads back as an embedding; anything else missing.
 */
const cell = (value: unknown) =>
  typeof value === 'number' || typeof value === 'string'
    ? value
    : Array.isArray(value)
      ? JSON.stringify(value)
      : null
