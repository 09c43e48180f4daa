import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACME_KEY, apiKeys, endlessBody, gateway, infer, OPS_KEY } from '../testing/gateway.ts'
import { METRICS_TOKEN } from '../testing/index.ts'
import {
  allows,
  authConfigSchema,
  createAuthenticator,
  createMetricsGuard,
  hashApiKey,
  isOpenPath,
  metricsAccessSchema,
} from './index.ts'

const request = (headers: Record<string, string> = {}) =>
  new Request('http://gateway.test/v2/models/iris/infer', { method: 'POST', headers })
const bearer = (value: string) => request({ authorization: `Bearer ${value}` })

const nowSeconds = () => Math.floor(Date.now() / 1000)

function sign(
  claims: JWTPayload,
  key: CryptoKey | Uint8Array,
  alg: string,
  options: { kid?: string; expiresIn?: number } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, ...(options.kid && { kid: options.kid }) })
    .setIssuedAt()
    .setExpirationTime(nowSeconds() + (options.expiresIn ?? 300))
    .sign(key)
}

describe('hashApiKey', () => {
  it('is the hex SHA-256 of the key', async () => {
    expect(await hashApiKey('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })
})

describe('API keys', async () => {
  const config = authConfigSchema.parse({
    api_keys: [
      { tenant: 'acme', sha256: await hashApiKey('acme-key'), models: ['iris', 'mnist'] },
      { tenant: 'root', sha256: (await hashApiKey('root-key')).toUpperCase(), models: ['*'] },
      { tenant: 'ops', sha256: await hashApiKey('ops-key'), models: ['*'], scopes: ['admin'] },
    ],
  })
  const authenticate = createAuthenticator(config)

  it('accepts a key as a bearer token', async () => {
    expect(await authenticate(bearer('acme-key'))).toEqual({
      ok: true,
      tenant: 'acme',
      models: ['iris', 'mnist'],
      scopes: [],
    })
  })

  it('grants the scopes a key lists, and refuses a config naming an unknown one', async () => {
    expect(await authenticate(bearer('ops-key'))).toMatchObject({
      tenant: 'ops',
      scopes: ['admin'],
    })
    const root = { tenant: 'root', sha256: await hashApiKey('root-key'), models: ['*'] }
    expect(() => authConfigSchema.parse({ api_keys: [{ ...root, scopes: ['root'] }] })).toThrow(
      /api_keys/,
    )
  })

  it('accepts a key in x-api-key, whatever case its configured hash is in', async () => {
    expect(await authenticate(request({ 'x-api-key': 'root-key' }))).toMatchObject({
      ok: true,
      tenant: 'root',
    })
  })

  it('prefers a bearer key, and falls back to x-api-key beside another scheme', async () => {
    const both = request({ authorization: 'Bearer acme-key', 'x-api-key': 'root-key' })
    expect(await authenticate(both)).toMatchObject({ tenant: 'acme' })
    const basic = request({ authorization: 'Basic dXNlcjpwdw==', 'x-api-key': 'root-key' })
    expect(await authenticate(basic)).toMatchObject({ tenant: 'root' })
  })

  it('refuses an unknown key without saying how close it was', async () => {
    const wrong = await authenticate(bearer('acme-kez'))
    expect(wrong).toEqual({ ok: false, status: 401, error: 'unknown API key' })
    expect(await authenticate(request({ 'x-api-key': 'nope' }))).toEqual(wrong)
  })

  it('refuses a request without credentials, or with another scheme', async () => {
    const missing = await authenticate(request())
    expect(missing).toMatchObject({ ok: false, status: 401 })
    if (missing.ok) return
    expect(missing.error).toMatch(/missing credentials/)
    expect(await authenticate(request({ authorization: 'Basic YWNtZS1rZXk6' }))).toEqual(missing)
  })

  it('takes a JWT-shaped bearer as an API key when no jwt is configured', async () => {
    const dotted = 'aaa.bbb.ccc'
    const withKey = createAuthenticator(
      authConfigSchema.parse({
        api_keys: [{ tenant: 't', sha256: await hashApiKey(dotted), models: ['*'] }],
      }),
    )
    expect(await withKey(bearer(dotted))).toMatchObject({ ok: true, tenant: 't' })
  })
})

describe('JWT with an HS256 secret', () => {
  const secret = 'a-shared-secret-of-at-least-32-bytes!'
  const key = new TextEncoder().encode(secret)
  const authenticate = createAuthenticator(
    authConfigSchema.parse({
      jwt: { secret, issuer: 'https://issuer.test', audience: 'infera', tenant_claim: 'org' },
    }),
  )
  const good = { iss: 'https://issuer.test', aud: 'infera', org: 'acme' }

  it('reads the tenant claim and models from a claim array', async () => {
    const token = await sign({ ...good, models: ['iris'] }, key, 'HS256')
    expect(await authenticate(bearer(token))).toEqual({
      ok: true,
      tenant: 'acme',
      models: ['iris'],
      scopes: [],
    })
  })

  it('reads the admin scope from an OAuth scope string, ignoring scopes it does not know', async () => {
    const token = await sign({ ...good, models: ['iris'], scope: 'openid admin' }, key, 'HS256')
    expect(await authenticate(bearer(token))).toMatchObject({ tenant: 'acme', scopes: ['admin'] })
    const other = await sign({ ...good, scope: ['openid', 'profile'] }, key, 'HS256')
    expect(await authenticate(bearer(other))).toMatchObject({ ok: true, scopes: [] })
    const malformed = await sign({ ...good, scope: { admin: true } }, key, 'HS256')
    expect(await authenticate(bearer(malformed))).toEqual({
      ok: false,
      status: 401,
      error: 'invalid token',
    })
  })

  it('reads models from a space-separated scope string', async () => {
    const token = await sign({ ...good, models: 'iris  mnist' }, key, 'HS256')
    expect(await authenticate(bearer(token))).toMatchObject({ models: ['iris', 'mnist'] })
  })

  it('grants no models when the claim is absent', async () => {
    expect(await authenticate(bearer(await sign(good, key, 'HS256')))).toMatchObject({
      ok: true,
      models: [],
    })
  })

  it('refuses a token signed with another secret', async () => {
    const other = new TextEncoder().encode('another-secret-of-at-least-32-bytes!!')
    const token = await sign(good, other, 'HS256')
    expect(await authenticate(bearer(token))).toEqual({
      ok: false,
      status: 401,
      error: 'invalid token',
    })
  })

  it('refuses an expired token, by the injected clock too', async () => {
    const expired = await sign(good, key, 'HS256', { expiresIn: -60 })
    expect(await authenticate(bearer(expired))).toEqual({
      ok: false,
      status: 401,
      error: 'token expired',
    })
    const fresh = await sign(good, key, 'HS256', { expiresIn: 60 })
    const later = createAuthenticator(
      authConfigSchema.parse({ jwt: { secret, tenant_claim: 'org' } }),
      {
        now: () => Date.now() + 120_000,
      },
    )
    expect(await later(bearer(fresh))).toMatchObject({ error: 'token expired' })
  })

  it('refuses a wrong issuer or audience', async () => {
    for (const claims of [
      { ...good, iss: 'https://evil.test' },
      { ...good, aud: 'someone-else' },
    ]) {
      expect(await authenticate(bearer(await sign(claims, key, 'HS256')))).toMatchObject({
        status: 401,
        error: 'invalid token',
      })
    }
  })

  it('refuses a token without the tenant claim, or with malformed models', async () => {
    const { org: _, ...noTenant } = good
    expect(await authenticate(bearer(await sign(noTenant, key, 'HS256')))).toMatchObject({
      error: 'invalid token',
    })
    const badModels = await sign({ ...good, models: [1, 2] }, key, 'HS256')
    expect(await authenticate(bearer(badModels))).toMatchObject({ error: 'invalid token' })
  })

  it('refuses a token without exp only when require_exp is on', async () => {
    const forever = await new SignJWT(good).setProtectedHeader({ alg: 'HS256' }).sign(key)
    expect(await authenticate(bearer(forever))).toMatchObject({ ok: true, tenant: 'acme' })
    const strict = createAuthenticator(
      authConfigSchema.parse({ jwt: { secret, tenant_claim: 'org', require_exp: true } }),
    )
    expect(await strict(bearer(forever))).toEqual({
      ok: false,
      status: 401,
      error: 'invalid token',
    })
    expect(await strict(bearer(await sign(good, key, 'HS256')))).toMatchObject({ ok: true })
  })

  it('refuses an unsigned (alg none) token', async () => {
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url')
    const unsigned = `${encode({ alg: 'none' })}.${encode({ ...good, exp: nowSeconds() + 60 })}.x`
    expect(await authenticate(bearer(unsigned))).toMatchObject({ error: 'invalid token' })
  })
})

describe('JWT with a PEM public key', async () => {
  const rsa = await generateKeyPair('RS256')
  const ec = await generateKeyPair('ES256')
  const withPem = async (publicKey: CryptoKey) =>
    createAuthenticator(
      authConfigSchema.parse({ jwt: { public_key: await exportSPKI(publicKey) } }),
    )

  it('verifies RS256', async () => {
    const authenticate = await withPem(rsa.publicKey)
    const token = await sign({ sub: 'acme', models: ['*'] }, rsa.privateKey, 'RS256')
    expect(await authenticate(bearer(token))).toEqual({
      ok: true,
      tenant: 'acme',
      models: ['*'],
      scopes: [],
    })
  })

  it('verifies ES256', async () => {
    const authenticate = await withPem(ec.publicKey)
    const token = await sign({ sub: 'acme' }, ec.privateKey, 'ES256')
    expect(await authenticate(bearer(token))).toMatchObject({ ok: true, tenant: 'acme' })
  })

  it('refuses another key pair and an HS256 token keyed with the public PEM', async () => {
    const authenticate = await withPem(rsa.publicKey)
    const other = await generateKeyPair('RS256')
    const forged = await sign({ sub: 'acme' }, other.privateKey, 'RS256')
    expect(await authenticate(bearer(forged))).toMatchObject({ error: 'invalid token' })
    const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey))
    const confused = await sign({ sub: 'acme' }, pem, 'HS256')
    expect(await authenticate(bearer(confused))).toMatchObject({ error: 'invalid token' })
  })
})

describe('JWT with a JWKS over HTTP', async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  let served = 0
  const server = createServer((_req, res) => {
    served++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: [jwk] }))
  })
  let jwksUrl = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  const config = () =>
    authConfigSchema.parse({ jwt: { jwks_url: jwksUrl, issuer: 'idp', audience: 'infera' } })
  const claims = { sub: 'acme', iss: 'idp', aud: 'infera' }

  it('fetches the keys once through the injected fetch and verifies tokens', async () => {
    let fetched = 0
    const authenticate = createAuthenticator(config(), {
      fetch: (input, init) => {
        fetched++
        return fetch(input, init)
      },
    })
    const before = served
    for (const models of ['iris', 'iris mnist']) {
      const token = await sign({ ...claims, models }, privateKey, 'RS256', { kid: 'k1' })
      expect(await authenticate(bearer(token))).toMatchObject({ ok: true, tenant: 'acme' })
    }
    expect(fetched).toBe(1)
    expect(served - before).toBe(1)
  })

  it('refuses a token whose kid the JWKS does not have, and an expired one', async () => {
    const authenticate = createAuthenticator(config())
    const unknown = await sign(claims, privateKey, 'RS256', { kid: 'k2' })
    expect(await authenticate(bearer(unknown))).toMatchObject({ error: 'invalid token' })
    const expired = await sign(claims, privateKey, 'RS256', { kid: 'k1', expiresIn: -10 })
    expect(await authenticate(bearer(expired))).toMatchObject({ error: 'token expired' })
  })

  it('fails loudly, not with a 401, when the JWKS cannot be fetched', async () => {
    const authenticate = createAuthenticator(config(), {
      fetch: async () => new Response('down', { status: 503 }),
    })
    const token = await sign(claims, privateKey, 'RS256', { kid: 'k1' })
    await expect(authenticate(bearer(token))).rejects.toThrow(/200 OK/)
  })
})

describe('authConfigSchema', () => {
  it('defaults the open paths and the claims', () => {
    const config = authConfigSchema.parse({ jwt: { secret: 's' } })
    expect(config.open_paths).toEqual(['/v2/health/live', '/v2/health/ready'])
    expect(config.jwt).toMatchObject({
      tenant_claim: 'sub',
      models_claim: 'models',
      require_exp: false,
    })
  })

  it('rejects a malformed hash and an ambiguous jwt key', () => {
    const key = { tenant: 't', sha256: 'abc', models: [] }
    expect(() => authConfigSchema.parse({ api_keys: [key] })).toThrow(/SHA-256/)
    expect(() => authConfigSchema.parse({ jwt: { secret: 's', jwks_url: 'https://x' } })).toThrow(
      /exactly one/,
    )
    expect(() => authConfigSchema.parse({ jwt: {} })).toThrow(/exactly one/)
  })
})

describe('allows and isOpenPath', () => {
  it('allows listed models, or all with *', () => {
    expect(allows({ models: ['iris'] }, 'iris')).toBe(true)
    expect(allows({ models: ['iris'] }, 'mnist')).toBe(false)
    expect(allows({ models: [] }, 'iris')).toBe(false)
    expect(allows({ models: ['*'] }, 'mnist')).toBe(true)
  })

  it('matches open paths exactly', () => {
    const config = authConfigSchema.parse({})
    expect(isOpenPath(config, '/v2/health/live')).toBe(true)
    expect(isOpenPath(config, '/metrics')).toBe(false)
    expect(isOpenPath({ open_paths: ['/metrics'] }, '/metrics')).toBe(true)
    expect(isOpenPath({ open_paths: ['/metrics'] }, '/metrics/../v2/models/iris/infer')).toBe(false)
    expect(isOpenPath(config, '/v2/models/iris/infer')).toBe(false)
  })
})

describe('who may read /metrics', async () => {
  const auth = authConfigSchema.parse({})
  const access = metricsAccessSchema.parse({ sha256: [await hashApiKey('scrape-token')] })

  it('is a scrape token, as a bearer or in x-api-key, and nothing else', async () => {
    const guard = createMetricsGuard(auth, access)
    expect(await guard(bearer('scrape-token'))).toEqual({ ok: true })
    expect(await guard(request({ 'x-api-key': 'scrape-token' }))).toEqual({ ok: true })
    expect(await guard(request())).toMatchObject({ ok: false, status: 401 })
    // A tenant's key, valid for inference, names no scrape token.
    expect(await guard(bearer('acme-key'))).toEqual({
      ok: false,
      status: 401,
      error: 'not a metrics token',
    })
  })

  it('is no one without scrape tokens, and anyone when /metrics is an open path', async () => {
    expect(await createMetricsGuard(auth, undefined)(bearer('scrape-token'))).toMatchObject({
      ok: false,
      status: 403,
    })
    const open = authConfigSchema.parse({ open_paths: ['/metrics'] })
    expect(await createMetricsGuard(open, undefined)(request())).toEqual({ ok: true })
  })
})

describe('the auth middleware', () => {
  it('401s a request without a key or with a bad key, without reaching upstream', async () => {
    const { call, upstream } = gateway()
    const missing = await call('/v2/models/iris/infer', infer, null)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    const bad = await call('/v2/models/iris/infer', infer, 'wrong-key')
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({ error: 'unknown API key' })
    expect(upstream.calls).toHaveLength(0)
  })

  it('403s a model outside the tenant scope', async () => {
    const { call, upstream } = gateway({
      routes: [{ model: '*', variants: [{ name: 'v', weight: 100, targets: ['http://a'] }] }],
    })
    const response = await call('/v2/models/mnist/infer', infer, ACME_KEY)
    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({ error: 'tenant acme may not use model mnist' })
    expect((await call('/v2/models/mnist/infer', infer, OPS_KEY)).status).toBe(200)
    expect(upstream.calls).toHaveLength(1)
  })

  it('serves the open paths without credentials', async () => {
    const { app } = gateway()
    expect((await app.request('/v2/health/live')).status).toBe(200)
    expect((await app.request('/v2/health/ready')).status).toBe(200)
  })

  it('serves /metrics, which names tenants and targets, to scrape tokens only', async () => {
    const { app, call } = gateway()
    await call('/v2/models/iris/infer', infer)
    const anonymous = await app.request('/metrics')
    expect(anonymous.status).toBe(401)
    expect(await anonymous.text()).not.toContain('acme')
    // A tenant's key is good for inference, not for reading about the other tenants.
    expect((await call('/metrics', {}, ACME_KEY)).status).toBe(401)
    expect((await call('/metrics', {}, METRICS_TOKEN)).status).toBe(200)
    const closed = gateway({ metrics: undefined })
    expect((await closed.call('/metrics', {}, METRICS_TOKEN)).status).toBe(403)
    const open = gateway({ auth: { api_keys: apiKeys, open_paths: ['/metrics'] } })
    expect((await open.app.request('/metrics')).status).toBe(200)
  })

  it('refuses a caller without credentials before reading any of its streamed body', async () => {
    const { call, upstream } = gateway()
    const { pulled, init } = endlessBody()
    expect((await call('/v2/models/iris/infer', init, null)).status).toBe(401)
    // What a stream holds before anyone reads: its first chunk, at most.
    expect(pulled.chunks).toBeLessThanOrEqual(1)
    expect(upstream.calls).toHaveLength(0)
  })
})
