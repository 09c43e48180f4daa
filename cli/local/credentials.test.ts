import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CredentialVerifier } from '../../services/shared/credentials/index.ts'
import { localToken, localTokensFile } from '../home.ts'
import { ACCEPTS, credentialsFor, generateTokens, writeClientTokens } from './credentials.ts'

const saved = { home: process.env.INFERA_HOME, token: process.env.INFERA_LABELS_TOKEN }
afterEach(() => {
  for (const [key, value] of [
    ['INFERA_HOME', saved.home],
    ['INFERA_LABELS_TOKEN', saved.token],
  ] as const) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
})

describe('the local platform tokens', () => {
  it("gives each service exactly its holders' credentials", async () => {
    const tokens = generateTokens()
    const registry = new CredentialVerifier(await credentialsFor(ACCEPTS.registry, tokens))
    const drift = new CredentialVerifier(await credentialsFor(ACCEPTS.drift, tokens))
    const as = (verifier: CredentialVerifier, token: string, scope: 'registry:write') =>
      verifier.verify(`Bearer ${token}`, scope)
    expect(await as(registry, tokens.operator, 'registry:write')).toMatchObject({
      ok: true,
      principal: { name: 'operator' },
    })
    expect(await as(registry, tokens.driftRetrainer, 'registry:write')).toMatchObject({
      principal: { name: 'drift-retrainer' },
    })
    expect(await as(registry, tokens.labeller, 'registry:write')).toMatchObject({ status: 401 })
    expect(await drift.verify(`Bearer ${tokens.labeller}`, 'drift:labels')).toMatchObject({
      principal: { name: 'labeller' },
    })
    expect(await drift.verify(`Bearer ${tokens.inference}`, 'drift:labels')).toMatchObject({
      status: 403,
    })
    expect(new Set(Object.values(tokens)).size).toBe(4)
  })

  it('writes client tokens owner-only, even over a readable file left behind', async () => {
    const home = mkdtempSync(join(tmpdir(), 'infera-tokens-'))
    process.env.INFERA_HOME = home
    writeFileSync(localTokensFile(), '{}', { mode: 0o644 })
    await writeClientTokens(localTokensFile(), { INFERA_LABELS_TOKEN: 'from-the-file' })
    expect(statSync(localTokensFile()).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(localTokensFile(), 'utf8'))).toEqual({
      INFERA_LABELS_TOKEN: 'from-the-file',
    })
  })

  it('finds a token in the env var first, then in the running platform’s file', async () => {
    process.env.INFERA_HOME = mkdtempSync(join(tmpdir(), 'infera-tokens-'))
    delete process.env.INFERA_LABELS_TOKEN
    expect(localToken('INFERA_LABELS_TOKEN')).toBeUndefined()
    await writeClientTokens(localTokensFile(), { INFERA_LABELS_TOKEN: 'from-the-file' })
    expect(localToken('INFERA_LABELS_TOKEN')).toBe('from-the-file')
    expect(localToken('INFERA_REGISTRY_TOKEN')).toBeUndefined()
    process.env.INFERA_LABELS_TOKEN = 'from-the-env'
    expect(localToken('INFERA_LABELS_TOKEN')).toBe('from-the-env')
  })
})
