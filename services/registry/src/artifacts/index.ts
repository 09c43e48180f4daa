/**
 * Where the registry keeps version files: by their SHA-256 (content-addressed), in a local folder
 * or in S3. Every read is verified against the digest and size recorded at registration, so a
 * corrupt, truncated or missing object is an error and never handed out.
 */
import type { ArtifactStore } from './digest.ts'
import { LocalArtifactStore } from './local.ts'

export interface ArtifactStoreOptions {
  /** A local folder; used when `s3` is not set. */
  dir?: string
  /** s3://bucket/prefix: AWS's usual configuration (region, credentials) applies. */
  s3?: string
  /** An S3-compatible endpoint (MinIO, s3rver): path-style addressing is used with it. */
  endpoint?: string
}

export async function openArtifactStore(options: ArtifactStoreOptions): Promise<ArtifactStore> {
  if (options.s3) {
    // Loaded when used: the AWS SDK is a good part of a CLI command's start-up otherwise.
    const { parseS3Url, S3ArtifactStore } = await import('./s3.ts')
    return new S3ArtifactStore({
      ...parseS3Url(options.s3),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    })
  }
  if (!options.dir) throw new Error('an artifact store needs a folder or an s3:// URL')
  return new LocalArtifactStore(options.dir)
}

export {
  ArtifactError,
  type ArtifactStore,
  artifactKey,
  sha256,
  verified,
} from './digest.ts'
export { LocalArtifactStore } from './local.ts'
