/**
 * Files addressed by their SHA-256, as the registry stores them and its clients receive them: both
 * sides verify bytes against the recorded digest, and write them whole or not at all.
 */
import { createHash, randomUUID } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import type { FileRef } from '../store/index.ts'
import { ArtifactError } from '../types.ts'

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Returns `bytes` if they are what `ref` records, else throws naming the difference. */
export function verified(ref: FileRef, bytes: Uint8Array, where: string): Uint8Array {
  if (bytes.byteLength !== ref.size) {
    throw new ArtifactError(
      `artifact sha256:${ref.sha256} in ${where} has ${bytes.byteLength} bytes, not ${ref.size}` +
        (bytes.byteLength < ref.size ? ' (truncated)' : ''),
    )
  }
  const actual = sha256(bytes)
  if (actual !== ref.sha256) {
    throw new ArtifactError(
      `artifact sha256:${ref.sha256} in ${where} is corrupt: its content hashes to ${actual}`,
    )
  }
  return bytes
}

/** Writes beside and renames: a reader never sees half a file under the final name. */
export async function writeAtomically(path: string, data: string | Uint8Array) {
  const temporary = `${path}.${randomUUID()}.tmp`
  try {
    await writeFile(temporary, data)
    await rename(temporary, path)
  } finally {
    await rm(temporary, { force: true })
  }
}
