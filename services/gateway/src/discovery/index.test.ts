import { describe, expect, it } from 'vitest'
import { ACME_KEY, ADMIN_KEY, gateway, OPS_KEY, ok } from '../testing/gateway.ts'
import type { UpstreamHandler } from '../testing/index.ts'
import { LISTING_TRUNCATED_HEADER, MAX_LISTED } from './index.ts'

const catchAll = (targets: string[]) => ({
  routes: [
    { model: 'iris', variants: [{ name: 'stable', weight: 100, targets: ['http://a'] }] },
    { model: '*', variants: [{ name: 'any', weight: 100, targets }] },
  ],
})
const modelList =
  (models: string[]): UpstreamHandler =>
  (request) =>
    new URL(request.url).pathname === '/v1/models'
      ? Response.json({ models })
      : new Response(null, { status: 404 })

describe('GET /v2: server metadata', () => {
  it('answers at the gateway, naming the admin extensions only to admin keys', async () => {
    const { app, call, upstream } = gateway()
    expect((await app.request('/v2')).status).toBe(401)
    const tenant = await call('/v2', {}, ACME_KEY)
    expect(tenant.status).toBe(200)
    const metadata = (await tenant.json()) as {
      name: string
      version: string
      extensions: string[]
    }
    expect(metadata.name).toBe('infera-gateway')
    expect(metadata.version).toMatch(/^\d+\.\d+\.\d+$/)
    expect(metadata.extensions).toContain('binary_tensor_data')
    expect(metadata.extensions).not.toContain('statistics')
    const admin = (await (await call('/v2', {}, ADMIN_KEY)).json()) as { extensions: string[] }
    expect(admin.extensions).toEqual(expect.arrayContaining(['statistics', 'model_repository']))
    expect(upstream.calls).toHaveLength(0)
  })

  it('405s HEAD and other methods, allowing GET', async () => {
    const { call } = gateway()
    for (const method of ['HEAD', 'POST', 'DELETE']) {
      const response = await call('/v2', { method })
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toBe('GET')
    }
  })
})

describe('GET /v1/models: the KServe V1 model list', () => {
  it("lists the routed models the caller's key may use, without asking upstream", async () => {
    const { app, call, upstream } = gateway({
      routes: [
        { model: 'iris', variants: [{ name: 'v', weight: 100, targets: ['http://a'] }] },
        { model: 'wine', variants: [{ name: 'v', weight: 100, targets: ['http://b'] }] },
      ],
    })
    expect((await app.request('/v1/models')).status).toBe(401)
    expect(await (await call('/v1/models', {}, ACME_KEY)).json()).toEqual({ models: ['iris'] })
    expect(await (await call('/v1/models', {}, OPS_KEY)).json()).toEqual({
      models: ['iris', 'wine'],
    })
    expect((await call('/v1/models', { method: 'HEAD' })).status).toBe(405)
    expect(upstream.calls).toHaveLength(0)
  })

  it("takes a catch-all route's models from its servers' own lists", async () => {
    const { call, upstream } = gateway(catchAll(['http://b', 'http://c']), {
      'http://a': ok,
      'http://b': modelList(['mnist', 'iris']),
      'http://c': modelList(['wine', 'mnist']),
    })
    const all = await call('/v1/models', { headers: { 'x-request-id': 'list-1' } }, OPS_KEY)
    expect(await all.json()).toEqual({ models: ['iris', 'mnist', 'wine'] })
    expect(upstream.calls.map((c) => c.url).sort()).toEqual([
      'http://b/v1/models',
      'http://c/v1/models',
    ])
    expect(upstream.calls[0]?.headers.get('x-request-id')).toBe('list-1')
    expect(upstream.calls[0]?.headers.get('authorization')).toBeNull()
    expect(await (await call('/v1/models', {}, ACME_KEY)).json()).toEqual({ models: ['iris'] })
  })

  it('caps a merged list at MAX_LISTED, saying so in a header', async () => {
    const many = Array.from({ length: MAX_LISTED + 500 }, (_, i) => `model-${i}`)
    const { call } = gateway(catchAll(['http://b']), {
      'http://a': ok,
      'http://b': modelList(many),
    })
    const capped = await call('/v1/models', {}, OPS_KEY)
    const { models } = (await capped.json()) as { models: string[] }
    expect(models).toHaveLength(MAX_LISTED)
    expect(models[0]).toBe('iris')
    expect(capped.headers.get(LISTING_TRUNCATED_HEADER)).toBe('true')
    const short = await call('/v1/models', {}, ACME_KEY)
    expect(short.headers.get(LISTING_TRUNCATED_HEADER)).toBeNull()
  })

  it('lists what the servers that answer hold, and 502s when none does', async () => {
    const garbled: UpstreamHandler = () => Response.json({ models: 'mnist' })
    const partial = gateway(catchAll(['http://b', 'http://c']), {
      'http://b': modelList(['mnist']),
      'http://c': garbled,
    })
    expect(await (await partial.call('/v1/models', {}, OPS_KEY)).json()).toEqual({
      models: ['iris', 'mnist'],
    })
    expect(partial.logs).toContainEqual(
      expect.objectContaining({ event: 'discovery_error', path: '/v1/models', target: 'http://c' }),
    )
    const down = gateway(catchAll(['http://b']), { 'http://b': garbled })
    const response = await down.call('/v1/models', {}, OPS_KEY)
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual({ error: 'no model server answered GET /v1/models' })
  })
})

describe('the admin scope: statistics and the repository index', () => {
  it('passes statistics on to the model route for admin keys only, 403 naming the scope', async () => {
    const echo: UpstreamHandler = (r) => Response.json({ path: new URL(r.url).pathname })
    const { call, upstream } = gateway(catchAll(['http://b']), {
      'http://a': echo,
      'http://b': echo,
    })
    for (const path of [
      '/v2/models/iris/stats',
      '/v2/models/stats',
      '/v2/models/iris/versions/1/stats',
    ]) {
      const refused = await call(path, {}, OPS_KEY)
      expect(refused.status).toBe(403)
      expect(await refused.json()).toEqual({
        error: `${path} needs the admin scope, which tenant ops lacks`,
      })
    }
    expect(upstream.calls).toHaveLength(0)
    const stats = await call('/v2/models/iris/versions/1/stats', {}, ADMIN_KEY)
    expect(stats.status).toBe(200)
    expect(await stats.json()).toEqual({ path: '/v2/models/iris/versions/1/stats' })
    expect(upstream.calls.map((c) => c.url)).toEqual(['http://a/v2/models/iris/versions/1/stats'])
  })

  it('leaves other model paths to the proxy, on hono’s regular-expression router', async () => {
    const echo: UpstreamHandler = (r) => Response.json({ path: new URL(r.url).pathname })
    const { app, call } = gateway(catchAll(['http://b']), { 'http://b': echo })
    for (const path of ['/v2/models/stats/ready', '/v2/models/statsd/stats/x']) {
      expect((await call(path, {}, OPS_KEY)).status).toBe(200)
    }
    // The trie router it falls back to for routes it can't compile costs every proxied request.
    expect(app.router.name).toBe('SmartRouter + RegExpRouter')
  })

  it('merges every server index for admin keys, cut to the routed models', async () => {
    const index =
      (entries: object[]): UpstreamHandler =>
      (r) =>
        r.method === 'POST' && new URL(r.url).pathname === '/v2/repository/index'
          ? Response.json(entries)
          : new Response(null, { status: 404 })
    const iris = { name: 'iris', version: '1', state: 'READY' }
    const { call, upstream } = gateway(
      {},
      {
        'http://a': index([iris, { name: 'mnist', version: '2', state: 'READY' }]),
        'http://b': index([iris, { name: 'iris', version: '2', state: 'UNAVAILABLE' }]),
      },
    )
    expect((await call('/v2/repository/index', { method: 'POST' }, OPS_KEY)).status).toBe(403)
    expect(upstream.calls).toHaveLength(0)
    const response = await call(
      '/v2/repository/index',
      { method: 'POST', body: '{"ready":true}' },
      ADMIN_KEY,
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([
      iris,
      { name: 'iris', version: '2', state: 'UNAVAILABLE' },
    ])
    expect(await upstream.calls[0]?.text()).toBe('{"ready":true}')
  })

  it('caps the merged index at MAX_LISTED entries, saying so in a header', async () => {
    const versions = Array.from({ length: MAX_LISTED + 10 }, (_, i) => ({
      name: 'iris',
      version: String(i + 1),
      state: 'READY',
    }))
    const { call } = gateway({}, { 'http://a': () => Response.json(versions), 'http://b': ok })
    const response = await call('/v2/repository/index', { method: 'POST' }, ADMIN_KEY)
    expect(response.status).toBe(200)
    expect((await response.json()) as unknown[]).toHaveLength(MAX_LISTED)
    expect(response.headers.get(LISTING_TRUNCATED_HEADER)).toBe('true')
  })

  it('refuses the rest of the repository API, admin or not, without reaching upstream', async () => {
    const { call, upstream } = gateway()
    for (const path of ['/v2/repository/models/iris/load', '/v2/repository/models/iris/unload']) {
      const response = await call(path, { method: 'POST' }, ADMIN_KEY)
      expect(response.status).toBe(403)
      expect(await response.json()).toEqual({
        error: `POST ${path} is not served through the gateway: of the repository API only POST /v2/repository/index is (admin scope)`,
      })
    }
    expect((await call('/v2/repository/index', {}, ADMIN_KEY)).status).toBe(403)
    expect(upstream.calls).toHaveLength(0)
  })
})
