import { listen } from '../../../../shared/node-server/index.ts'
import { createDrift, type DriftSetup } from '../../index.ts'

export interface DriftServerOptions extends Omit<DriftSetup, 'isReady'> {
  port: number
  host?: string
}

/** The drift service on a port; `close` stops taking requests, finishes its work, closes the store. */
export async function startDriftServer(options: DriftServerOptions) {
  let ready = false
  const drift = await createDrift({ ...options, isReady: () => ready })
  const { url, port, stop } = await listen(drift.app.fetch, options)
  ready = true
  drift.logger.info(
    {
      url,
      window: options.window,
      store: options.databaseUrl ? 'postgresql' : 'pglite',
      references: options.registry || options.registryUrl ? 'registry' : 'repository',
    },
    'drift service ready',
  )
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      ready = false
      await stop()
      await drift.service.close()
      drift.logger.info('drift service stopped')
    })()
    return closing
  }
  return { url, port, service: drift.service, store: drift.store, close }
}
