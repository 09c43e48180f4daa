/** What every artifact store shares: the interface, content addressing and verification. */
import { createHash } from 'node:crypto'
import type { FileRef } from '../store/index.ts'

export interface ArtifactStore {
  /** Where the artifacts are, for people: a folder, or s3://bucket/prefix. */
  readonly location: string
  /** Stores the bytes under their digest; storing the same bytes again changes nothing. */
  put(bytes: Uint8Array): Promise<FileRef>
  /** The bytes recorded as `ref`, verified; anything else is an ArtifactError. */
  get(ref: FileRef): Promise<Uint8Array>
  close(): void
}

/** An artifact that is missing, or whose bytes are not the ones recorded. */
export class ArtifactError extends Error {}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** The object's key below the store's root: `sha256/ab/abcd…`, so no folder grows too large. */
export const artifactKey = (digest: string) => `sha256/${digest.slice(0, 2)}/${digest}`

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
