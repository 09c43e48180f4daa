import { Hono } from 'hono'
import { limitBody } from '../../../shared/body-limit/index.ts'
import { InferenceError } from '../errors/index.ts'
import { bindRequestMetrics } from '../metrics/index.ts'
import type { InferenceContext } from '../protocol/serve.ts'
import { kserveV1Routes } from '../protocol/v1/index.ts'
import { openInferenceRoutes } from '../protocol/v2/index.ts'
import { type RepositoryApiOptions, repositoryRoutes } from '../repository/index.ts'

export interface InferenceAppOptions
  extends Omit<InferenceContext, 'requestMetrics'>,
    RepositoryApiOptions {
  /** Largest request body accepted; larger ones get 413. */
  maxBodyBytes: number
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

/** The inference service's HTTP app: both protocols, the repository API and /metrics. */
export function createInferenceApp(options: InferenceAppOptions) {
  const { metrics, logger, maxBodyBytes } = options
  const app = new Hono()

  app.use('*', limitBody(maxBodyBytes))
  app.get('/metrics', async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  )
  const ctx: InferenceContext = { ...options, requestMetrics: bindRequestMetrics(metrics) }
  app.route('/', openInferenceRoutes(ctx))
  app.route('/', repositoryRoutes(options.repository, options))
  app.route('/', kserveV1Routes(ctx))

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404))
  app.onError((error, c) => {
    if (error instanceof InferenceError) {
      return c.json({ error: error.message }, error.status, error.headers)
    }
    logger.error({ err: error, path: c.req.path }, 'unhandled error')
    return c.json({ error: `internal error: ${error.message}` }, 500)
  })
  return app
}
