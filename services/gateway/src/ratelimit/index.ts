// Token buckets, their store interface and in-memory store (bucket.ts), and the per-tenant
// middleware (middleware.ts).
export * from './bucket.ts'
export * from './middleware.ts'
