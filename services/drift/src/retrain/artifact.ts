/**
 * The model artifact a retraining job leaves in S3 (`model.tar.gz`, SageMaker's
 * `ModelArtifacts.S3ModelArtifacts`) and what it must hold to become a registered version.
 */
import { GetObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3'
import { Parser, type ReadEntry } from 'tar'

/**
 * What the training image writes to `/opt/ml/model/`, which SageMaker packs into `model.tar.gz`:
 * files at the top of the archive (`model.onnx` or `./model.onnx`), anything else is ignored.
 */
export const ARTIFACT_FILES = {
  /** Required: the model, reading the features the serving version's config.json names. */
  model: 'model.onnx',
  /** Required: the rows it was trained on, as CSV; drift compares its traffic with them. */
  reference: 'reference.csv',
  /** Optional: a JSON object, registered as the version's metrics. */
  metrics: 'metrics.json',
  /** Optional: held-out rows (features and target) the gate scores it and production on. */
  holdout: 'holdout.csv',
} as const

/** What a model artifact holds, checked. */
export interface ModelArtifact {
  onnx: Uint8Array
  referenceCsv: string
  metrics: Record<string, unknown> | null
  holdoutCsv?: string
}

/** An artifact that is missing, unreadable or lacks what the contract requires. */
export class ModelArtifactError extends Error {
  override name = 'ModelArtifactError'
}

const WANTED = new Set<string>(Object.values(ARTIFACT_FILES))
const REGULAR_FILES = new Set(['File', 'OldFile', 'ContiguousFile'])

/** `s3://bucket/key` as its bucket and key. */
export function parseS3Object(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)
  if (!match) throw new ModelArtifactError(`'${uri}' is not an s3://bucket/key URI`)
  return { bucket: match[1] as string, key: match[2] as string }
}

/**
 * Reads the artifact at `uri` from S3 and checks it. A missing object, one the client may not
 * read, a damaged archive or one without what the contract requires is a ModelArtifactError;
 * S3's server errors and network failures are thrown as they are, worth another try.
 */
export async function downloadModelArtifact(s3: S3Client, uri: string): Promise<ModelArtifact> {
  const { bucket, key } = parseS3Object(uri)
  let body: AsyncIterable<Uint8Array>
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    if (!object.Body) throw new ModelArtifactError(`the model artifact ${uri} is empty`)
    body = object.Body as AsyncIterable<Uint8Array>
  } catch (error) {
    if (error instanceof S3ServiceException && error.$fault === 'client') {
      throw new ModelArtifactError(
        `can't read the model artifact ${uri}: ${error.name}: ${error.message}`,
      )
    }
    throw error
  }
  try {
    return checkArtifact(await untar(body))
  } catch (error) {
    if (error instanceof ModelArtifactError) {
      throw new ModelArtifactError(`the model artifact ${uri} ${error.message}`)
    }
    throw error
  }
}

/** The artifact's files from the bytes of `model.tar.gz` (or an uncompressed tar). */
export async function readModelArtifact(bytes: Uint8Array): Promise<ModelArtifact> {
  return checkArtifact(await untar([bytes]))
}

/** The contract's files at the top of a (gzipped) tar archive, by name. */
async function untar(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
  const files = new Map<string, Uint8Array>()
  const entries: Promise<void>[] = []
  let failure: Error | undefined
  const parser = new Parser({
    // Damage is an error, not a warning and a partial listing.
    strict: true,
    onReadEntry(entry: ReadEntry) {
      const name = entry.path.replace(/^(\.\/)+/, '')
      if (!WANTED.has(name) || !REGULAR_FILES.has(entry.type)) {
        entry.resume()
        return
      }
      const parts: Buffer[] = []
      entry.on('data', (part: Buffer) => parts.push(part))
      entries.push(
        new Promise((resolve) =>
          entry.on('end', () => {
            files.set(name, Buffer.concat(parts))
            resolve()
          }),
        ),
      )
    },
  })
  const done = new Promise<void>((resolve, reject) => {
    parser.on('error', reject)
    parser.on('end', resolve)
  })
  parser.on('error', (error: Error) => {
    failure ??= error
  })
  try {
    for await (const chunk of chunks) {
      if (failure) break
      parser.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    }
    parser.end()
    await done
    await Promise.all(entries)
  } catch (error) {
    throw new ModelArtifactError(
      `is not a readable model.tar.gz: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  return files
}

function checkArtifact(files: Map<string, Uint8Array>): ModelArtifact {
  const onnx = files.get(ARTIFACT_FILES.model)
  if (!onnx || onnx.byteLength === 0) {
    throw new ModelArtifactError(
      `has no ${ARTIFACT_FILES.model}${onnx ? ' (it is empty)' : ''}: ` +
        `the training image writes it to /opt/ml/model/${ARTIFACT_FILES.model}`,
    )
  }
  const reference = files.get(ARTIFACT_FILES.reference)
  if (!reference || reference.byteLength === 0) {
    throw new ModelArtifactError(
      `has no ${ARTIFACT_FILES.reference}${reference ? ' (it is empty)' : ''}: ` +
        'drift compares the new version’s traffic with its training rows',
    )
  }
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
  const metricsBytes = files.get(ARTIFACT_FILES.metrics)
  let metrics: Record<string, unknown> | null = null
  if (metricsBytes) {
    try {
      metrics = JSON.parse(text(metricsBytes))
    } catch (error) {
      throw new ModelArtifactError(
        `has a ${ARTIFACT_FILES.metrics} that is not JSON: ${(error as Error).message}`,
      )
    }
    if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
      throw new ModelArtifactError(`has a ${ARTIFACT_FILES.metrics} that is not a JSON object`)
    }
  }
  const holdout = files.get(ARTIFACT_FILES.holdout)
  return {
    onnx,
    referenceCsv: text(reference),
    metrics,
    ...(holdout && { holdoutCsv: text(holdout) }),
  }
}
