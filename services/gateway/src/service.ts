import { createGatewayApp, type GatewayDeps } from './app/index.ts'
import type { GatewayConfig } from './config/index.ts'

/**
 * The gateway wired up — its app (`createGatewayApp`) and the loops a long-running adapter runs
 * beside it — without a port. adapter/workers takes the app alone: a Worker has no timers between
 * requests, so its requests drive the registry sync.
 */
export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}) {
  const app = createGatewayApp(config, deps)
  return {
    app,
    /**
     * Starts the health checks and, with `registry`, reads the registry once (the file's routes
     * serve if that fails; the error is logged) before polling it: call before serving.
     */
    async start() {
      app.healthChecks.start()
      if (config.registry) await app.syncRegistry()
      app.registryFollower.start()
    },
    /** Stops both loops; resolves once a health check round or registry sync under way is done. */
    async stop() {
      await Promise.all([app.registryFollower.stop(), app.healthChecks.stop()])
    },
  }
}
