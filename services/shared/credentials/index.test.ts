import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { readCredentialsFile } from './file.ts'
import {
  bearer,
  type CredentialEnv,
  CredentialVerifier,
  credentialFor,
  generateToken,
  parseCredentials,
  principalOf,
  requireScope,
  sha256Hex,
} from './index.ts'

async function appWith(token: string) {
  const verifier = new CredentialVerifier([
    await credentialFor('ci', token, ['registry:write']),
    await credentialFor('labeller', 'labels-token', ['drift:labels']),
  ])
  let bodyRead = false
  const app = new Hono<CredentialEnv>()
  app.post('/write', requireScope(verifier, 'registry:write'), async (c) => {
    await c.req.text()
    bodyRead = true
    return c.json({ actor: principalOf(c).name })
  })
  return { app, bodyRead: () => bodyRead }
}

describe('requireScope', () => {
  it('lets a token with the scope in and names its holder', async () => {
    const token = generateToken()
    const { app } = await appWith(token)
    const response = await app.request('/write', { method: 'POST', headers: bearer(token) })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ actor: 'ci' })
  })

  it.each([
    ['no header', {}, 401],
    ['a wrong token', bearer('nope'), 401],
    ['another scheme', { authorization: 'Basic abc' }, 401],
    ['a huge header', { authorization: `Bearer ${'x'.repeat(100_000)}` }, 401],
    ['a token without the scope', bearer('labels-token'), 403],
  ])('refuses %s without reading the body', async (_, headers, status) => {
    const { app, bodyRead } = await appWith(generateToken())
    const response = await app.request('/write', { method: 'POST', headers, body: 'x' })
    expect(response.status).toBe(status)
    expect(((await response.json()) as { error: string }).error).toMatch(
      /token|Bearer|may not|Authorization/,
    )
    if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(bodyRead()).toBe(false)
  })

  it('refuses everyone when no credential is configured', async () => {
    const app = new Hono<CredentialEnv>()
    app.post('/write', requireScope(new CredentialVerifier([]), 'registry:write'), (c) =>
      c.text('in'),
    )
    const response = await app.request('/write', { method: 'POST', headers: bearer('any') })
    expect(response.status).toBe(403)
    expect(((await response.json()) as { error: string }).error).toMatch(
      /no credentials configured/,
    )
  })
})

describe('credentials files', () => {
  it('reads digests and scopes, and names what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credentials-'))
    const good = join(dir, 'good.json')
    const digest = await sha256Hex('t')
    writeFileSync(good, JSON.stringify([{ name: 'ci', sha256: digest, scopes: ['drift:ingest'] }]))
    expect(readCredentialsFile(good)).toEqual([
      { name: 'ci', sha256: digest, scopes: ['drift:ingest'] },
    ])
    expect(readCredentialsFile(undefined)).toEqual([])
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify([{ name: 'a b', sha256: 'zz', scopes: ['root'] }]))
    expect(() => readCredentialsFile(bad)).toThrow(/0\.name.*0\.sha256.*0\.scopes/s)
    expect(() =>
      parseCredentials(
        [
          { name: 'x', sha256: digest, scopes: ['drift:ingest'] },
          { name: 'x', sha256: digest, scopes: ['drift:labels'] },
        ],
        'test',
      ),
    ).toThrow(/repeated/)
  })
})
