import { listenUntilClosed, Readiness } from '../../../../shared/node-server/index.ts'
import {
  createInferenceService,
  type InferenceSetup,
  type ModelRepository,
  type RegistryFollower,
} from '../../index.ts'

export interface InferenceServerOptions extends Omit<InferenceSetup, 'isReady'> {
  port: number
  host?: string
}

export interface InferenceServer {
  url: string
  port: number
  repository: ModelRepository
  /** Set with `registryUrl`. */
  follower?: RegistryFollower
  /** Readiness goes false, accepted requests finish, capture flushes, sessions are released. */
  close: () => Promise<void>
}

export async function startInferenceServer(
  options: InferenceServerOptions,
): Promise<InferenceServer> {
  const readiness = new Readiness()
  const inference = await createInferenceService({ ...options, isReady: readiness.isReady })
  const { repository, follower, logger } = inference
  const { url, port, close } = await listenUntilClosed(inference.app.fetch, options, {
    readiness,
    release: async () => {
      await inference.close()
      logger.info('inference server stopped')
    },
  })
  follower?.start()
  logger.info({ url, models: repository.index() }, 'inference server ready')
  return { url, port, repository, follower, close }
}
