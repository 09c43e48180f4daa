/** What every artifact store shares: the interface, content addressing and verification. */
import type { FileRef } from '../store/index.ts'

export { sha256, verified } from '../client/files.ts'
export { ArtifactError } from '../types.ts'

export interface ArtifactStore {
  /** Where the artifacts are, for people: a folder, or s3://bucket/prefix. */
  readonly location: string
  /** Stores the bytes under their digest; storing the same bytes again changes nothing. */
  put(bytes: Uint8Array): Promise<FileRef>
  /** The bytes recorded as `ref`, verified; anything else is an ArtifactError. */
  get(ref: FileRef): Promise<Uint8Array>
  close(): void
}

/** The object's key below the store's root: `sha256/ab/abcd…`, so no folder grows too large. */
export const artifactKey = (digest: string) => `sha256/${digest.slice(0, 2)}/${digest}`
