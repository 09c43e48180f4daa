import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { devApiKeyFile, developmentApiKey } from './dev-key.ts'

const saved = process.env.INFERA_HOME
beforeEach(() => {
  process.env.INFERA_HOME = mkdtempSync(join(tmpdir(), 'infera-dev-key-'))
})
afterEach(() => {
  if (saved === undefined) delete process.env.INFERA_HOME
  else process.env.INFERA_HOME = saved
})

describe('the development API key', () => {
  it('is made once and kept under INFERA_HOME, owner-only, so a restart keeps it', () => {
    const first = developmentApiKey({})
    expect(first.key).toMatch(/^infera-dev-[0-9a-f]{32}$/)
    expect(first.source).toBe(devApiKeyFile())
    expect(statSync(devApiKeyFile()).mode & 0o777).toBe(0o600)
    expect(readFileSync(devApiKeyFile(), 'utf8').trim()).toBe(first.key)
    expect(developmentApiKey({})).toEqual(first)
  })

  it('is INFERA_DEV_API_KEY when set, leaving the kept one alone', () => {
    const kept = developmentApiKey({})
    expect(developmentApiKey({ INFERA_DEV_API_KEY: 'mine' })).toEqual({
      key: 'mine',
      source: 'INFERA_DEV_API_KEY',
    })
    expect(developmentApiKey({})).toEqual(kept)
  })

  it('is made again when another INFERA_HOME runs another platform', () => {
    const one = developmentApiKey({}).key
    process.env.INFERA_HOME = mkdtempSync(join(tmpdir(), 'infera-dev-key-'))
    expect(developmentApiKey({}).key).not.toBe(one)
  })
})
