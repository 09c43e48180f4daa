import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../inference/src/testing/index.ts'
import {
  ArtifactError,
  type ArtifactStore,
  artifactKey,
  LocalArtifactStore,
  openArtifactStore,
  sha256,
} from './index.ts'
import { parseS3Url, S3ArtifactStore } from './s3.ts'
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from './testing.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

/** Finds the one file whose name is the digest, wherever the backend keeps it on disk. */
function fileOf(root: string, digest: string): string {
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.startsWith(digest) && !entry.name.endsWith('.json')) {
      return join(entry.parentPath, entry.name)
    }
  }
  throw new Error(`no file for ${digest} under ${root}`)
}

/** What every backend must do; `root` is the folder where its objects end up on disk. */
function artifactContract(open: () => { store: ArtifactStore; root: string }) {
  let store: ArtifactStore
  let root: string
  beforeAll(() => {
    ;({ store, root } = open())
  })
  afterAll(() => store.close())

  it('stores bytes under their SHA-256 and gives the same bytes back', async () => {
    const data = bytes('an onnx model, say')
    const ref = await store.put(data)
    expect(ref).toEqual({ sha256: sha256(data), size: data.byteLength })
    expect(ref.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(await store.get(ref)).toEqual(data)
    // The same bytes again are the same object.
    expect(await store.put(data)).toEqual(ref)
    expect(await store.get(ref)).toEqual(data)
  })

  it('keeps empty and large binary objects exactly', async () => {
    const large = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7919) % 256)
    for (const data of [new Uint8Array(), large]) {
      const back = await store.get(await store.put(data))
      // Buffer#equals: toEqual walks 3 MiB element by element, for seconds.
      expect(Buffer.from(back).equals(data)).toBe(true)
    }
  })

  it('refuses an object whose content was altered', async () => {
    const ref = await store.put(bytes('the real weights'))
    writeFileSync(fileOf(root, ref.sha256), bytes('the fake weights'))
    const read = store.get(ref)
    await expect(read).rejects.toThrow(ArtifactError)
    await expect(read).rejects.toThrow(/is corrupt: its content hashes to [0-9a-f]{64}/)
  })

  it('refuses a truncated object', async () => {
    const ref = await store.put(bytes('a model that will lose its tail'))
    truncateSync(fileOf(root, ref.sha256), 10)
    await expect(store.get(ref)).rejects.toThrow(`has 10 bytes, not ${ref.size} (truncated)`)
  })

  it('refuses an object that is missing, or is not the size recorded', async () => {
    const data = bytes('recorded, then lost')
    const ref = await store.put(data)
    await expect(store.get({ ...ref, size: ref.size + 1 })).rejects.toThrow(/truncated/)
    rmSync(fileOf(root, ref.sha256))
    await expect(store.get(ref)).rejects.toThrow(`artifact sha256:${ref.sha256} is missing`)
  })

  it('repairs a damaged object when the same bytes are stored again', async () => {
    const data = bytes('stored twice')
    const ref = await store.put(data)
    writeFileSync(fileOf(root, ref.sha256), bytes('damaged'))
    await store.put(data)
    expect(await store.get(ref)).toEqual(data)
  })
}

describe('local artifact store', () => {
  const dir = tempDir('infera-artifacts-')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  artifactContract(() => ({ store: new LocalArtifactStore(join(dir, 'new', 'folder')), root: dir }))

  it('lays objects out by digest', async () => {
    const store = await openArtifactStore({ dir })
    const ref = await store.put(bytes('laid out'))
    expect(readFileSync(join(dir, artifactKey(ref.sha256)), 'utf8')).toBe('laid out')
    expect(artifactKey(ref.sha256)).toBe(`sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`)
  })
})

describe('S3 artifact store (s3rver)', () => {
  let s3: TestS3
  beforeAll(async () => {
    s3 = await startS3('models')
  })
  afterAll(() => s3.close())

  artifactContract(() => ({
    store: new S3ArtifactStore({
      bucket: 'models',
      prefix: 'registry/artifacts',
      endpoint: s3.endpoint,
      client: { credentials: S3RVER_CREDENTIALS },
    }),
    root: s3.directory,
  }))

  it('keys objects by prefix and digest', async () => {
    const store = new S3ArtifactStore({
      bucket: 'models',
      prefix: 'team-a',
      endpoint: s3.endpoint,
      client: { credentials: S3RVER_CREDENTIALS },
    })
    expect(store.location).toBe('s3://models/team-a')
    const ref = await store.put(bytes('keyed'))
    expect(fileOf(s3.directory, ref.sha256)).toContain(join('models', 'team-a', 'sha256'))
    store.close()
  })
})

describe('parseS3Url', () => {
  it('splits an s3:// URL into bucket and prefix', () => {
    expect(parseS3Url('s3://models')).toEqual({ bucket: 'models', prefix: '' })
    expect(parseS3Url('s3://my.models/a/b/')).toEqual({ bucket: 'my.models', prefix: 'a/b' })
  })

  it('names what is wrong with anything else', () => {
    for (const url of ['models', 'http://models/a', 's3://', 's3://UPPER/x']) {
      expect(() => parseS3Url(url)).toThrow(`'${url}' is not an s3://bucket[/prefix] URL`)
    }
  })
})
