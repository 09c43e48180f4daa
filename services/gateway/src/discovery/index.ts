import type { Context, Hono } from 'hono'
import { z } from 'zod'
import { unreadableBody } from '../../../shared/body-limit/index.ts'
import { allows, type Principal, refuseScope, requireScope } from '../auth/index.ts'
import { fail, type GatewayEnv, type Log } from '../context/index.ts'
import { findRoute, type RoutingTable } from '../routing/index.ts'
import { joinUrl, type Send, type TargetPool } from '../upstream/index.ts'

export interface DiscoveryOptions {
  table: RoutingTable
  pool: TargetPool
  send: Send
  maxResponseBytes: number
  log: Log
}

/**
 * `GET /v2` is answered here, not taken from an upstream: the server a client talks to is the
 * gateway, and what it supports is what passes through it. An upstream's list would advertise
 * load and unload, which the gateway refuses, and would come from whichever of several model
 * groups (possibly different builds) was asked; answering here also needs no hop for a call
 * clients make before anything else. The version is the Infera release the gateway ships in.
 */
const SERVER = { name: 'infera-gateway', version: '0.1.0' }
const EXTENSIONS = ['binary_tensor_data', 'classification', 'schedule_policy']
/** What the admin scope adds: statistics, and the repository's index (not load or unload). */
const ADMIN_EXTENSIONS = [...EXTENSIONS, 'model_repository', 'statistics']

/** A listing asks every ready model server at once; this bounds the slowest. */
const LISTING_TIMEOUT_MS = 5000

const STATS_PATH = /^\/v2\/models(?:\/[^/]+(?:\/versions\/[^/]+)?)?\/stats$/

/**
 * At most this many entries in a listing merged from several model servers; past it the answer
 * carries `LISTING_TRUNCATED_HEADER: true` (the protocol's bodies have no field for it).
 */
export const MAX_LISTED = 1000
export const LISTING_TRUNCATED_HEADER = 'x-infera-truncated'

/** `entries` cut to MAX_LISTED, with the header saying so when cut. */
function listing<T>(entries: T[]): { entries: T[]; headers: Record<string, string> } {
  if (entries.length <= MAX_LISTED) return { entries, headers: {} }
  return { entries: entries.slice(0, MAX_LISTED), headers: { [LISTING_TRUNCATED_HEADER]: 'true' } }
}

/**
 * The statistics extension's guard, for the proxy's catch-all to call first: a refusal for
 * `/v2/models/stats` (else it would pass as a model named `stats` to a `*` route),
 * `/v2/models/{m}/stats` and `/v2/models/{m}/versions/{v}/stats` without the admin scope. A
 * function, not routes or a middleware: a static `/v2/models/stats` beside
 * `/v2/models/:model/stats` drops hono from its RegExpRouter to its trie router, and a middleware
 * on `/v2/models/*` is one more level every proxied request passes through.
 */
export function refuseStatsWithoutAdmin(c: Context<GatewayEnv>): Response | undefined {
  if (!c.req.path.endsWith('/stats') || !STATS_PATH.test(c.req.path)) return undefined
  const principal = c.get('principal')
  if (principal?.scopes.includes('admin')) return undefined
  return refuseScope(c, 'admin')
}

const v1ModelList = z.object({ models: z.array(z.string()) })
const repositoryIndex = z.array(z.looseObject({ name: z.string() }))

const permitted = (principal: Principal | undefined, model: string) =>
  principal === undefined || allows(principal, model)

/** 405 for any method but GET on a read-only path; HEAD too, as the model server does. */
function onlyGet(c: Context, answer: () => Response | Promise<Response>) {
  if (c.req.method === 'GET') return answer()
  return fail(c, 405, `${c.req.method} ${c.req.path} is not allowed: use GET`, { Allow: 'GET' })
}

/**
 * The protocol's discovery and admin endpoints, which name no model and so have no route of their
 * own: server metadata (`GET /v2`), the KServe V1 model list (`GET /v1/models`), and under the
 * admin scope Triton's statistics (passed on to the model's route) and repository index. The
 * rest of the repository API (load, unload) is refused: the registry, not a caller, says what
 * serves. Registered before the proxy's catch-all, which the statistics guard hands on to.
 */
export function serveDiscovery(app: Hono<GatewayEnv>, options: DiscoveryOptions): void {
  const { table, pool, send, maxResponseBytes, log } = options

  /** Each ready target's JSON answer to `method path`, parsed by `schema`; failures are logged. */
  async function askEach<T>(
    c: Context<GatewayEnv>,
    targets: Iterable<string>,
    method: string,
    schema: z.ZodType<T>,
    body?: ArrayBuffer,
  ): Promise<T[]> {
    const headers: Record<string, string> = {
      'x-request-id': c.get('requestId'),
      traceparent: c.get('traceparent'),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    }
    const ready = [...new Set(targets)].filter((target) => pool.ready(target))
    const answers = await Promise.allSettled(
      ready.map(async (target) => {
        const response = await send(joinUrl(target, c.req.path), {
          method,
          headers,
          body,
          timeoutMs: LISTING_TIMEOUT_MS,
          maxResponseBytes,
        })
        if (response.status !== 200) throw new Error(`${target} answered ${response.status}`)
        return schema.parse(JSON.parse(new TextDecoder().decode(response.body)))
      }),
    )
    return answers.flatMap((answer, i) => {
      if (answer.status === 'fulfilled') return [answer.value]
      const error = String(answer.reason)
      log({ event: 'discovery_error', path: c.req.path, target: ready[i], error })
      return []
    })
  }

  const noAnswer = (c: Context) =>
    fail(c, 502, `no model server answered ${c.req.method} ${c.req.path}`)

  app.all('/v2', (c) =>
    onlyGet(c, () => {
      const admin = c.get('principal')?.scopes.includes('admin') ?? false
      return c.json({ ...SERVER, extensions: admin ? ADMIN_EXTENSIONS : EXTENSIONS })
    }),
  )

  // The routed models the caller may use; a `*` route serves whatever its model servers hold.
  app.all('/v1/models', (c) =>
    onlyGet(c, async () => {
      const principal = c.get('principal')
      const routes = table.getRoutes()
      const names = routes.map((route) => route.model).filter((model) => model !== '*')
      const catchAll = routes.find((route) => route.model === '*')
      if (catchAll) {
        const targets = catchAll.variants.flatMap((variant) => variant.targets)
        const lists = await askEach(c, targets, 'GET', v1ModelList)
        if (lists.length === 0) return noAnswer(c)
        names.push(...lists.flatMap((list) => list.models))
      }
      const { entries: models, headers } = listing(
        [...new Set(names)].filter((model) => permitted(principal, model)),
      )
      return c.json({ models }, 200, headers)
    }),
  )

  const admin = requireScope('admin')

  // Every model server's index, cut to the routed models the caller may use.
  app.post('/v2/repository/index', admin, async (c) => {
    const principal = c.get('principal')
    const routes = table.getRoutes()
    const targets = routes.flatMap((route) => route.variants.flatMap((variant) => variant.targets))
    let body: ArrayBuffer
    try {
      body = await c.req.arrayBuffer()
    } catch (error) {
      return unreadableBody(c, error)
    }
    // Triton's optional `{"ready": true}` filter goes on to the servers as the caller sent it.
    const filter = body.byteLength > 0 ? body : undefined
    const indexes = await askEach(c, targets, 'POST', repositoryIndex, filter)
    if (indexes.length === 0) return noAnswer(c)
    // Two targets of one variant list the same entries: each once.
    const entries = new Map<string, unknown>()
    for (const entry of indexes.flat()) {
      if (findRoute(routes, entry.name) && permitted(principal, entry.name)) {
        entries.set(JSON.stringify(entry), entry)
      }
    }
    const { entries: listed, headers } = listing([...entries.values()])
    return c.json(listed, 200, headers)
  })
  app.all('/v2/repository/*', (c) =>
    fail(
      c,
      403,
      `${c.req.method} ${c.req.path} is not served through the gateway: of the repository API only POST /v2/repository/index is (admin scope)`,
    ),
  )
}
