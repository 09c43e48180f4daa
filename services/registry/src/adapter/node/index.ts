import { listen } from '../../../../shared/node-server/index.ts'
import { createRegistry, type RegistrySetup } from '../../index.ts'

export interface RegistryServerOptions extends Omit<RegistrySetup, 'isReady'> {
  port: number
  host?: string
}

/** The registry on a port; `close` stops taking requests, finishes those under way, closes the stores. */
export async function startRegistryServer(options: RegistryServerOptions) {
  let ready = false
  const {
    app,
    registry,
    logger,
    promRegistry,
    canary,
    close: closeRegistry,
  } = await createRegistry({ ...options, isReady: () => ready })
  const { url, port, stop } = await listen(app.fetch, options)
  ready = true
  logger.info(
    {
      url,
      store: options.databaseUrl ? 'postgresql' : 'pglite',
      artifacts: registry.artifacts.location,
      canary: canary ? canary.policy : 'off',
    },
    'registry ready',
  )
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      ready = false
      await stop()
      await closeRegistry()
      logger.info('registry stopped')
    })()
    return closing
  }
  return { url, port, registry, promRegistry, canary, close }
}
