import { listenUntilClosed, Readiness } from '../../../../shared/node-server/index.ts'
import { createDriftService, type DriftSetup } from '../../index.ts'

export interface DriftServerOptions extends Omit<DriftSetup, 'isReady'> {
  port: number
  host?: string
}

/** The drift service on a port; `close` stops taking requests, finishes its work, closes the store. */
export async function startDriftServer(options: DriftServerOptions) {
  const readiness = new Readiness()
  const drift = await createDriftService({ ...options, isReady: readiness.isReady })
  const { url, port, close } = await listenUntilClosed(drift.app.fetch, options, {
    readiness,
    release: async () => {
      await drift.service.close()
      drift.logger.info('drift service stopped')
    },
  })
  drift.logger.info(
    {
      url,
      window: options.window,
      store: options.databaseUrl ? 'postgresql' : 'pglite',
      references: options.registry || options.registryUrl ? 'registry' : 'repository',
      credentials: options.credentials?.length ?? 0,
    },
    'drift service ready',
  )
  return { url, port, service: drift.service, store: drift.store, close }
}
