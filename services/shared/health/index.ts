import { Hono } from 'hono'

/** Liveness, and readiness as `isReady` says (503 until then): what orchestrators probe. */
export function healthRoutes(isReady: () => boolean) {
  const app = new Hono()
  app.get('/health/live', (c) => c.json({ live: true }))
  app.get('/health/ready', (c) => {
    const ready = isReady()
    return c.json({ ready }, ready ? 200 : 503)
  })
  return app
}
