/** A gateway over fake upstreams, with keys, a manual clock and captured logs, for app tests. */

import { createGatewayApp, type GatewayDeps } from '../app/index.ts'
import { hashApiKey } from '../auth/index.ts'
import { type GatewayConfigFile, validateGatewayConfig } from '../config/index.ts'
import {
  fakeUpstreams,
  manualClock,
  seededRandom,
  TEST_METRICS,
  type UpstreamHandler,
} from './index.ts'

/** May use `iris` only. */
export const ACME_KEY = 'acme-secret-key'
/** May use every model. */
export const OPS_KEY = 'ops-secret-key'
/** May use every model, with the admin scope. */
export const ADMIN_KEY = 'admin-secret-key'
export const apiKeys = [
  { tenant: 'acme', sha256: await hashApiKey(ACME_KEY), models: ['iris'] },
  { tenant: 'ops', sha256: await hashApiKey(OPS_KEY), models: ['*'] },
  {
    tenant: 'admin',
    sha256: await hashApiKey(ADMIN_KEY),
    models: ['*'],
    scopes: ['admin' as const],
  },
]

export const ok: UpstreamHandler = () => Response.json({ ok: true })

export const infer = {
  method: 'POST',
  body: '{"inputs":[]}',
  headers: { 'content-type': 'application/json' },
}

/**
 * A gateway routing `iris` to http://a and http://b (both answering `ok` unless `handlers` says
 * otherwise), keys from `apiKeys`; `call` sends a request with a key (ACME_KEY unless given, none
 * with null).
 */
export function gateway(
  overrides: Partial<GatewayConfigFile> = {},
  handlers: Record<string, UpstreamHandler> = { 'http://a': ok, 'http://b': ok },
  deps: GatewayDeps = {},
) {
  const upstream = fakeUpstreams(handlers)
  const clock = manualClock()
  const logs: Record<string, unknown>[] = []
  const config = validateGatewayConfig(
    {
      routes: [
        {
          model: 'iris',
          variants: [{ name: 'stable', weight: 100, targets: ['http://a', 'http://b'] }],
        },
      ],
      auth: { api_keys: apiKeys },
      metrics: TEST_METRICS,
      ...overrides,
    },
    'test config',
  )
  const app = createGatewayApp(config, {
    fetch: upstream.fetch,
    now: clock.now,
    random: seededRandom(42),
    log: (line) => logs.push(line),
    ...deps,
  })
  const call = (path: string, init: RequestInit = {}, key: string | null = ACME_KEY) => {
    const headers = new Headers(init.headers)
    if (key !== null) headers.set('authorization', `Bearer ${key}`)
    return app.request(path, { ...init, headers })
  }
  return { app, upstream, clock, logs, call }
}

/** A body that never ends, counting the chunks anything pulled from it. */
export function endlessBody() {
  const pulled = { chunks: 0 }
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled.chunks += 1
      controller.enqueue(new Uint8Array(64 * 1024))
    },
  })
  return { pulled, init: { method: 'POST', body, duplex: 'half' } as RequestInit }
}
