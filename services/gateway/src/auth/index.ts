// API keys and JWTs (authenticate.ts) and the middleware that applies them (middleware.ts).
export * from './authenticate.ts'
export * from './middleware.ts'
