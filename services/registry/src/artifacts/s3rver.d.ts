// s3rver ships no types; this is the part the tests use.
declare module 's3rver' {
  interface S3rverOptions {
    address?: string
    port?: number
    silent?: boolean
    directory: string
    configureBuckets?: { name: string }[]
  }
  export interface S3rverObject {
    bucket: string
    key: string
  }
  /** Its filesystem store: the tests wait on its writes. */
  interface S3rverStore {
    putObject(object: S3rverObject): Promise<{ size: number; md5: string }>
    getResourcePath(bucket: string, key: string, resource: 'object'): string
  }
  export default class S3rver {
    store: S3rverStore
    constructor(options: S3rverOptions)
    run(): Promise<{ address: string; port: number }>
    close(): Promise<void>
  }
}
