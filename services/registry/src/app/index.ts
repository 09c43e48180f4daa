import { type Context, Hono } from 'hono'
import type { Logger } from 'pino'
import type { Registry as PromRegistry } from 'prom-client'
import { z } from 'zod'
import { limitBody } from '../../../shared/body-limit/index.ts'
import { healthRoutes } from '../../../shared/health/index.ts'
import { ArtifactError } from '../artifacts/index.ts'
import { type ModelRegistry, RegistryError } from '../registry/index.ts'
import { ACTOR_HEADER, SHA256_HEADER } from './headers.ts'

export { ACTOR_HEADER, SHA256_HEADER } from './headers.ts'

export interface RegistryAppOptions {
  registry: ModelRegistry
  logger: Logger
  /** Served at GET /metrics. */
  promRegistry: PromRegistry
  maxBodyBytes: number
  isReady: () => boolean
}

/** Model files ride in the register request: room for large models. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024 * 1024

const text = z.string().max(2000).optional()
const fileOrText = z.union([z.instanceof(File), z.string()])

const registerForm = z.strictObject({
  'model.onnx': z.instanceof(File, { message: 'must be a file' }),
  'config.json': fileOrText,
  'metrics.json': fileOrText.optional(),
  'reference.csv': fileOrText.optional(),
  version: z
    .string()
    .regex(/^[1-9][0-9]*$/, 'must be a positive whole number')
    .transform(Number)
    .optional(),
  stage: z.enum(['candidate', 'staging']).optional(),
  data_location: text,
  code_version: text,
  training_job: text,
  reason: text,
})

const promoteBody = z.strictObject({
  to: z.enum(['production', 'staging']),
  /** CSV text: the features and the target. */
  holdout: z.string().min(1).optional(),
  margin: z.number().min(0).lt(1).optional(),
  force: z.boolean().optional(),
  /** The registry checks the weight: the same message in process and over HTTP. */
  canary: z.strictObject({ weight: z.number() }).optional(),
  onlyIfCanary: z.boolean().optional(),
  reason: text,
})
const changeBody = z.strictObject({ reason: text })
const removalBody = z.strictObject({
  reason: text,
  version: z.number().int().positive().optional(),
})
const canaryBody = z.strictObject({
  version: z.number().int().positive(),
  weight: z.number().min(0).max(100),
  reason: text,
})

/** Values checked by a schema, or a 400 naming each problem by its field. */
function valid<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const problems = result.error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  )
  throw new RegistryError(400, `${what} is invalid: ${problems.join('; ')}`)
}

async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const raw = await c.req.text()
  let body: unknown = {}
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw)
    } catch (error) {
      throw new RegistryError(400, `the body is not JSON: ${(error as Error).message}`)
    }
  }
  return valid(schema, body, 'the body')
}

function versionParam(c: Context, name = 'version'): number {
  const value = c.req.param(name) ?? c.req.query(name) ?? ''
  if (!/^[1-9][0-9]{0,9}$/.test(value)) {
    throw new RegistryError(400, `${name} must be a positive whole number, not '${value}'`)
  }
  return Number(value)
}

function actorOf(c: Context): string {
  const actor = c.req.header(ACTOR_HEADER)?.trim()
  if (!actor)
    throw new RegistryError(400, `the ${ACTOR_HEADER} header must name who makes the change`)
  return actor
}

const bytesOf = async (part: File | string) =>
  typeof part === 'string'
    ? new TextEncoder().encode(part)
    : new Uint8Array(await part.arrayBuffer())

async function jsonPart(part: File | string | undefined, name: string) {
  if (part === undefined) return undefined
  const raw = typeof part === 'string' ? part : await part.text()
  try {
    return JSON.parse(raw) as unknown
  } catch (error) {
    throw new RegistryError(400, `${name} is not JSON: ${(error as Error).message}`)
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The registry's HTTP API: every operation of ModelRegistry, JSON in and out. */
export function createRegistryApp(options: RegistryAppOptions) {
  const { registry, logger, promRegistry } = options
  const app = new Hono()
  app.use('*', limitBody(options.maxBodyBytes))

  app.route('/', healthRoutes(options.isReady))
  app.get('/metrics', async (c) =>
    c.text(await promRegistry.metrics(), 200, { 'content-type': promRegistry.contentType }),
  )

  app.get('/v1/models', async (c) => c.json({ models: await registry.list() }))
  app.get('/v1/models/:name', async (c) => c.json(await registry.show(c.req.param('name'))))

  app.post('/v1/models/:name/versions', async (c) => {
    if (!c.req.header('content-type')?.startsWith('multipart/form-data')) {
      throw new RegistryError(400, 'register a version as multipart/form-data (see the README)')
    }
    const actor = actorOf(c)
    const form = valid(registerForm, await c.req.parseBody(), 'the form')
    const config = await jsonPart(form['config.json'], 'config.json')
    const metrics = (await jsonPart(form['metrics.json'], 'metrics.json')) ?? null
    if (!isObject(config)) throw new RegistryError(400, 'config.json must be a JSON object')
    if (metrics !== null && !isObject(metrics)) {
      throw new RegistryError(400, 'metrics.json must be a JSON object')
    }
    const detail = await registry.register({
      name: c.req.param('name'),
      actor,
      reason: form.reason,
      version: form.version,
      stage: form.stage,
      config,
      metrics,
      files: {
        'model.onnx': await bytesOf(form['model.onnx']),
        'reference.csv':
          form['reference.csv'] === undefined ? undefined : await bytesOf(form['reference.csv']),
      },
      lineage: {
        data_location: form.data_location ?? null,
        code_version: form.code_version ?? null,
        training_job: form.training_job ?? null,
      },
    })
    return c.json(detail, 201)
  })

  app.get('/v1/models/:name/versions/:version', async (c) =>
    c.json(await registry.version(c.req.param('name'), versionParam(c))),
  )

  app.get('/v1/models/:name/versions/:version/files/:file', async (c) => {
    const [name, version, file] = [c.req.param('name'), versionParam(c), c.req.param('file')]
    const detail = await registry.version(name, version)
    // Read (and verified) whole before the first byte goes out: never half a file.
    const bytes = await registry.file(name, version, file)
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': file.endsWith('.csv') ? 'text/csv' : 'application/octet-stream',
      [SHA256_HEADER]: detail.files[file]?.sha256 ?? '',
    })
  })

  app.post('/v1/models/:name/versions/:version/promote', async (c) => {
    const actor = actorOf(c)
    const body = await jsonBody(c, promoteBody)
    return c.json(
      await registry.promote(c.req.param('name'), versionParam(c), {
        actor,
        to: body.to,
        holdoutCsv: body.holdout,
        margin: body.margin,
        force: body.force,
        canary: body.canary,
        onlyIfCanary: body.onlyIfCanary,
        reason: body.reason,
      }),
    )
  })

  app.post('/v1/models/:name/versions/:version/archive', async (c) => {
    const actor = actorOf(c)
    const { reason } = await jsonBody(c, changeBody)
    return c.json(await registry.archive(c.req.param('name'), versionParam(c), { actor, reason }))
  })

  app.post('/v1/models/:name/rollback', async (c) => {
    const actor = actorOf(c)
    const { reason } = await jsonBody(c, changeBody)
    return c.json(await registry.rollback(c.req.param('name'), { actor, reason }))
  })

  app.put('/v1/models/:name/aliases/canary', async (c) => {
    const actor = actorOf(c)
    const { version, weight, reason } = await jsonBody(c, canaryBody)
    return c.json(
      await registry.setAlias(c.req.param('name'), 'canary', version, {
        actor,
        weight,
        reason,
      }),
    )
  })

  app.delete('/v1/models/:name/aliases/canary', async (c) => {
    const actor = actorOf(c)
    const { reason, version } = await jsonBody(c, removalBody)
    return c.json(
      await registry.removeAlias(c.req.param('name'), 'canary', { actor, reason, version }),
    )
  })

  app.get('/v1/models/:name/diff', async (c) =>
    c.json(
      await registry.diff(c.req.param('name'), versionParam(c, 'from'), versionParam(c, 'to')),
    ),
  )

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404))
  app.onError((error, c) => {
    if (error instanceof RegistryError) {
      return c.json({ error: error.message, ...error.details }, error.status)
    }
    // The store holds a file that is not what was registered: refused, and loud in the log.
    if (error instanceof ArtifactError) {
      logger.error({ err: error, path: c.req.path }, 'artifact failed verification')
      return c.json({ error: error.message }, 500)
    }
    logger.error({ err: error, path: c.req.path }, 'unhandled error')
    return c.json({ error: `internal error: ${error.message}` }, 500)
  })
  return app
}
