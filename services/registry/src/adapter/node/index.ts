import { listenUntilClosed, Readiness } from '../../../../shared/node-server/index.ts'
import { createRegistryService, type RegistrySetup } from '../../index.ts'

export interface RegistryServerOptions extends Omit<RegistrySetup, 'isReady'> {
  port: number
  host?: string
}

/** The registry on a port; `close` stops taking requests, finishes those under way, closes the stores. */
export async function startRegistryServer(options: RegistryServerOptions) {
  const readiness = new Readiness()
  const {
    app,
    registry,
    logger,
    promRegistry,
    canary,
    close: closeRegistry,
  } = await createRegistryService({ ...options, isReady: readiness.isReady })
  const { url, port, close } = await listenUntilClosed(app.fetch, options, {
    readiness,
    release: async () => {
      await closeRegistry()
      logger.info('registry stopped')
    },
  })
  logger.info(
    {
      url,
      store: options.databaseUrl ? 'postgresql' : 'pglite',
      artifacts: registry.artifacts.location,
      canary: canary ? canary.policy : 'off',
    },
    'registry ready',
  )
  return { url, port, registry, promRegistry, canary, close }
}
