import { mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { writeAtomically } from '../client/files.ts'
import type { FileRef } from '../store/index.ts'
import { ArtifactError, type ArtifactStore, artifactKey, sha256, verified } from './digest.ts'

/** Artifacts as files in a folder: `dir/sha256/ab/abcd…`. */
export class LocalArtifactStore implements ArtifactStore {
  constructor(readonly location: string) {}

  async put(bytes: Uint8Array): Promise<FileRef> {
    const ref = { sha256: sha256(bytes), size: bytes.byteLength }
    const path = join(this.location, artifactKey(ref.sha256))
    await mkdir(dirname(path), { recursive: true })
    // Writing again repairs an object that was damaged.
    await writeAtomically(path, bytes)
    return ref
  }

  async get(ref: FileRef): Promise<Uint8Array> {
    const path = join(this.location, artifactKey(ref.sha256))
    let bytes: Uint8Array
    try {
      const file = await readFile(path)
      bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      throw new ArtifactError(`artifact sha256:${ref.sha256} is missing from ${this.location}`)
    }
    return verified(ref, bytes, this.location)
  }

  close() {}
}
