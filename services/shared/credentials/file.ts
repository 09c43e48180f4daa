import { readFileSync } from 'node:fs'
import { type Credential, parseCredentials } from './index.ts'

/**
 * The credentials file a Node service reads (`--credentials FILE`, or the `INFERA_CREDENTIALS`
 * variable naming it): a JSON array of `{name, sha256, scopes}`. None configured means no caller
 * may make the protected calls.
 */
export function readCredentialsFile(path: string | undefined): Credential[] {
  if (!path) return []
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`cannot read the credentials file ${path}: ${(error as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new Error(`the credentials file ${path} is not JSON: ${(error as Error).message}`)
  }
  return parseCredentials(value, `the credentials file ${path}`)
}
