import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { InferenceError } from '../errors/index.ts'
import type { InferenceContext } from '../protocol/serve.ts'
import { kserveV1Routes } from '../protocol/v1/index.ts'
import { openInferenceRoutes } from '../protocol/v2/index.ts'

export interface InferenceAppOptions extends InferenceContext {
  /** Largest request body accepted; larger ones get 413. */
  maxBodyBytes: number
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

/** The inference service's HTTP app: both protocols, the repository API and /metrics. */
export function createInferenceApp(options: InferenceAppOptions) {
  const { metrics, logger, maxBodyBytes } = options
  const app = new Hono()

  app.use(
    '*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.json({ error: `request body is larger than ${maxBodyBytes} bytes` }, 413),
    }),
  )
  app.get('/metrics', async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  )
  app.route('/', openInferenceRoutes(options))
  app.route('/', kserveV1Routes(options))

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
