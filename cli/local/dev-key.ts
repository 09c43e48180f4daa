import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { inferaHome } from '../home.ts'

/** Where the local gateway's development API key is kept (owner-only), under INFERA_HOME. */
export const devApiKeyFile = () => join(inferaHome(), 'dev-api-key')

/**
 * The local gateway's API key: INFERA_DEV_API_KEY, else the one kept under INFERA_HOME, else a new
 * one kept there — so scripts and shells holding it keep working across restarts.
 */
export function developmentApiKey(env = process.env): { key: string; source: string } {
  if (env.INFERA_DEV_API_KEY) return { key: env.INFERA_DEV_API_KEY, source: 'INFERA_DEV_API_KEY' }
  const file = devApiKeyFile()
  try {
    const kept = readFileSync(file, 'utf8').trim()
    if (kept) return { key: kept, source: file }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const key = `infera-dev-${randomBytes(16).toString('hex')}`
  mkdirSync(inferaHome(), { recursive: true })
  writeFileSync(file, `${key}\n`, { mode: 0o600 })
  return { key, source: file }
}
