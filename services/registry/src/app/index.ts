import { type Context, Hono } from 'hono'
import type { Logger } from 'pino'
import type { Registry as PromRegistry } from 'prom-client'
import { z } from 'zod'
import { limitBody } from '../../../shared/body-limit/index.ts'
import {
  type Credential,
  type CredentialEnv,
  CredentialVerifier,
  principalOf,
  requireScope,
} from '../../../shared/credentials/index.ts'
import { healthRoutes } from '../../../shared/health/index.ts'
import { ArtifactError } from '../artifacts/index.ts'
import {
  echo,
  MAX_PAGE,
  MAX_VERSION,
  type ModelRegistry,
  RegistryError,
} from '../registry/index.ts'
import { ACTOR_HEADER, SHA256_HEADER } from '../types.ts'

export { ACTOR_HEADER, SHA256_HEADER } from '../types.ts'

export interface RegistryAppOptions {
  registry: ModelRegistry
  logger: Logger
  /** Served at GET /metrics. */
  promRegistry: PromRegistry
  maxBodyBytes: number
  isReady: () => boolean
  /**
   * Who may change the registry: every write needs a bearer token with scope registry:write, and
   * the credential's name is the audit actor. None: no write is accepted.
   */
  credentials?: readonly Credential[]
}

/** Model files ride in the register request: room for large models. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024 * 1024
/** A JSON body (a promotion's holdout CSV is the large part): parsed whole, so bounded apart. */
export const MAX_JSON_BODY_BYTES = 64 * 1024 * 1024
/** config.json and metrics.json are small documents, parsed and stored whole in the database. */
export const MAX_JSON_PART_BYTES = 1024 * 1024

const text = z.string().max(2000).optional()
const fileOrText = z.union([z.instanceof(File), z.string()])
const jsonPartSchema = z.union([
  z.instanceof(File).refine((f) => f.size <= MAX_JSON_PART_BYTES, {
    message: `must be at most ${MAX_JSON_PART_BYTES} bytes`,
  }),
  z.string().max(MAX_JSON_PART_BYTES),
])
const versionNumber = z
  .string()
  .regex(/^[1-9][0-9]{0,6}$/, `must be a whole number from 1 to ${MAX_VERSION}`)
  .transform(Number)
  .refine((n) => n <= MAX_VERSION, `must be a whole number from 1 to ${MAX_VERSION}`)

const registerForm = z.strictObject({
  'model.onnx': z.instanceof(File, { message: 'must be a file' }),
  // Optional: the defaults, with the inputs and outputs read from the graph.
  'config.json': jsonPartSchema.optional(),
  'metrics.json': jsonPartSchema.optional(),
  'reference.csv': fileOrText.optional(),
  version: versionNumber.optional(),
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
const bodyVersion = z.number().int().min(1).max(MAX_VERSION)
const removalBody = z.strictObject({
  reason: text,
  version: bodyVersion.optional(),
})
const canaryBody = z.strictObject({
  version: bodyVersion,
  weight: z.number().min(0).max(100),
  reason: text,
})

const MAX_PROBLEMS = 10
/** zod lists every unknown key in one message. */
const cut = (message: string) => (message.length > 200 ? `${message.slice(0, 200)}…` : message)

/** Values checked by a schema, or a 400 naming its first problems by their fields. */
function valid<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  // The first few: a form of a million unknown fields gets a short answer.
  const { issues } = result.error
  const problems = issues
    .slice(0, MAX_PROBLEMS)
    .map((issue) => `${echo(issue.path.join('.') || '(root)').slice(1, -1)}: ${cut(issue.message)}`)
  const more = issues.length > MAX_PROBLEMS ? ` (and ${issues.length - MAX_PROBLEMS} more)` : ''
  throw new RegistryError(400, `${what} is invalid: ${problems.join('; ')}${more}`)
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

/** A whole number from 1 to `max` in the path or query, or a 400 naming it. */
function numberParam(c: Context, name: string, max: number): number {
  const value = c.req.param(name) ?? c.req.query(name) ?? ''
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > max) {
    throw new RegistryError(
      400,
      `${name} must be a whole number from 1 to ${max}, not ${echo(value)}`,
    )
  }
  return Number(value)
}

const versionParam = (c: Context, name = 'version') => numberParam(c, name, MAX_VERSION)
const optionalParam = (c: Context, name: string, max: number) =>
  c.req.query(name) === undefined ? undefined : numberParam(c, name, max)

/**
 * The audit actor: the name of the credential that authorised the call. A caller still sending
 * the old actor header is refused when it names someone else, rather than be silently re-labelled.
 */
function actorOf(c: Context<CredentialEnv>): string {
  const { name } = principalOf(c)
  const claimed = c.req.header(ACTOR_HEADER)
  if (claimed !== undefined && claimed.trim() !== name) {
    throw new RegistryError(
      400,
      `the audit actor is the credential's name '${name}'; ${ACTOR_HEADER} ${echo(claimed)} disagrees (drop the header)`,
    )
  }
  return name
}

/** PostgreSQL's class 22, "data exception": a value the column can't hold, i.e. bad input. */
const isDataException = (error: unknown) =>
  typeof (error as { code?: unknown }).code === 'string' &&
  /^22[0-9A-Z]{3}$/.test((error as { code: string }).code)

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
  const app = new Hono<CredentialEnv>()
  app.use('*', limitBody(options.maxBodyBytes))
  // Headers only: a refused caller's body is never read.
  const write = requireScope(new CredentialVerifier(options.credentials ?? []), 'registry:write')
  const writeJson = [write, limitBody(MAX_JSON_BODY_BYTES)] as const

  app.route('/', healthRoutes(options.isReady))
  app.get('/metrics', async (c) =>
    c.text(await promRegistry.metrics(), 200, { 'content-type': promRegistry.contentType }),
  )

  app.get('/v1/models', async (c) =>
    c.json(
      await registry.listPage({
        after: c.req.query('after'),
        limit: optionalParam(c, 'limit', MAX_PAGE),
      }),
    ),
  )
  app.get('/v1/models/:name', async (c) => c.json(await registry.show(c.req.param('name'))))
  app.get('/v1/models/:name/audit', async (c) =>
    c.json(
      await registry.audit(c.req.param('name'), {
        before: optionalParam(c, 'before', 2 ** 31 - 1),
        limit: optionalParam(c, 'limit', MAX_PAGE),
      }),
    ),
  )

  app.post('/v1/models/:name/versions', write, async (c) => {
    if (!c.req.header('content-type')?.startsWith('multipart/form-data')) {
      throw new RegistryError(400, 'register a version as multipart/form-data (see the README)')
    }
    const actor = actorOf(c)
    const parsed = await c.req.parseBody().catch((error: Error) => {
      throw new RegistryError(400, `the form is not valid multipart/form-data: ${error.message}`)
    })
    const form = valid(registerForm, parsed, 'the form')
    const config = (await jsonPart(form['config.json'], 'config.json')) ?? {}
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

  app.post('/v1/models/:name/versions/:version/promote', ...writeJson, async (c) => {
    const actor = actorOf(c)
    const body = await jsonBody(c, promoteBody)
    if (body.force) {
      // Audited as forced too (details.forced); this puts it in the log as it happens.
      logger.warn(
        { model: c.req.param('name'), version: c.req.param('version'), actor },
        'forced promotion: the evaluation gate is skipped',
      )
    }
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

  app.post('/v1/models/:name/versions/:version/archive', ...writeJson, async (c) => {
    const actor = actorOf(c)
    const { reason } = await jsonBody(c, changeBody)
    return c.json(await registry.archive(c.req.param('name'), versionParam(c), { actor, reason }))
  })

  app.post('/v1/models/:name/rollback', ...writeJson, async (c) => {
    const actor = actorOf(c)
    const { reason } = await jsonBody(c, changeBody)
    return c.json(await registry.rollback(c.req.param('name'), { actor, reason }))
  })

  app.put('/v1/models/:name/aliases/canary', ...writeJson, async (c) => {
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

  app.delete('/v1/models/:name/aliases/canary', ...writeJson, async (c) => {
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
    // The database's own words stay in the log: they describe its internals, not the request.
    if (isDataException(error)) {
      logger.warn({ err: error, path: c.req.path }, 'the database refused a value')
      return c.json({ error: 'a value in the request is out of range or not valid' }, 400)
    }
    logger.error({ err: error, path: c.req.path }, 'unhandled error')
    return c.json({ error: 'internal error (logged by the registry)' }, 500)
  })
  return app
}
