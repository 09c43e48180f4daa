/** An S3-compatible server (s3rver) on a free loopback port, for tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import S3rver, { type S3rverObject } from 's3rver'

/** s3rver's fixed development credentials: it checks request signatures against them. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export interface TestS3 {
  endpoint: string
  /** Where s3rver keeps the objects, to damage them behind the client's back. */
  directory: string
  close(): Promise<void>
}

export async function startS3(bucket: string): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'infera-s3rver-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  })
  settleWrites(server)
  const { port } = await server.run()
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    async close() {
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

/**
 * s3rver answers a PUT once the body has passed through, before its file stream has flushed, so
 * a GET right after can read the old or a partial object — which S3 never returns, and which the
 * store rightly refuses. Its store is made to wait until the whole object is on disk.
 */
function settleWrites(server: S3rver) {
  const { store } = server
  const put = store.putObject.bind(store)
  store.putObject = async (object: S3rverObject) => {
    const written = await put(object)
    const path = store.getResourcePath(object.bucket, object.key, 'object')
    while ((await stat(path)).size !== written.size) await sleep(2)
    return written
  }
}
