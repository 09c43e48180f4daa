import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import type { FileRef } from '../store/index.ts'
import { ArtifactError, type ArtifactStore, artifactKey, sha256, verified } from './digest.ts'

export interface S3ArtifactStoreOptions {
  bucket: string
  /** Keys start with it; no leading or trailing slash. */
  prefix: string
  /** An S3-compatible server instead of AWS. */
  endpoint?: string
  /** Anything else for the client (region, credentials); AWS's defaults otherwise. */
  client?: S3ClientConfig
}

/** `s3://bucket/some/prefix` as its bucket and prefix. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url)
  if (!match) throw new Error(`'${url}' is not an s3://bucket[/prefix] URL`)
  return { bucket: match[1] as string, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') }
}

/** Artifacts as S3 objects: `s3://bucket/prefix/sha256/ab/abcd…`. */
export class S3ArtifactStore implements ArtifactStore {
  readonly location: string
  readonly #client: S3Client
  readonly #bucket: string
  readonly #prefix: string

  constructor(options: S3ArtifactStoreOptions) {
    this.#bucket = options.bucket
    this.#prefix = options.prefix ? `${options.prefix}/` : ''
    this.location = `s3://${options.bucket}/${options.prefix}`
    this.#client = new S3Client({
      region: process.env.AWS_REGION ?? 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      ...options.client,
    })
  }

  #key(digest: string) {
    return `${this.#prefix}${artifactKey(digest)}`
  }

  async put(bytes: Uint8Array): Promise<FileRef> {
    const ref = { sha256: sha256(bytes), size: bytes.byteLength }
    // S3 checks the upload against this digest and refuses what arrived damaged.
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: this.#key(ref.sha256),
        Body: bytes,
        ChecksumSHA256: Buffer.from(ref.sha256, 'hex').toString('base64'),
      }),
    )
    return ref
  }

  async get(ref: FileRef): Promise<Uint8Array> {
    let bytes: Uint8Array
    try {
      const object = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(ref.sha256) }),
      )
      bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array()
    } catch (error) {
      if (!(error instanceof NoSuchKey)) throw error
      throw new ArtifactError(`artifact sha256:${ref.sha256} is missing from ${this.location}`)
    }
    return verified(ref, bytes, this.location)
  }

  close() {
    this.#client.destroy()
  }
}
