import pino, { type Logger } from 'pino'
import type { Credential } from '../../shared/credentials/index.ts'
import { createRegistryApp, DEFAULT_MAX_BODY_BYTES } from './app/index.ts'
import { CanaryController, type CanaryMetricsSource, type CanaryPolicy } from './canary/index.ts'
import { createRegistryMetrics } from './metrics/index.ts'
import { openRegistry, type RegistryOptions } from './registry/index.ts'

export interface RegistrySetup extends Omit<RegistryOptions, 'onAudit'> {
  maxBodyBytes?: number
  logger?: Logger
  isReady?: () => boolean
  /** Runs a canary controller on the gateway's metrics: canaries are promoted or rolled back. */
  canary?: { metrics: CanaryMetricsSource; policy?: Partial<CanaryPolicy> }
  /** Who may change the registry over HTTP (scope registry:write); none: nobody may. */
  credentials?: readonly Credential[]
}

/**
 * The registry wired up — metadata store, artifact store, HTTP app with its metrics, and the canary
 * controller if asked for, already running — without a port. `close` stops the controller, then
 * closes the stores.
 */
export async function createRegistryService(options: RegistrySetup) {
  const logger = options.logger ?? pino({ name: 'registry' })
  const { promRegistry, countTransitions } = createRegistryMetrics()
  const registry = await openRegistry({ ...options, onAudit: countTransitions })
  const canary =
    options.canary &&
    new CanaryController({
      registry,
      metrics: options.canary.metrics,
      policy: options.canary.policy,
      logger: logger.child({ component: 'canary-controller' }),
      promRegistry,
    })
  canary?.start()
  const app = createRegistryApp({
    registry,
    logger,
    promRegistry,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    isReady: options.isReady ?? (() => true),
    credentials: options.credentials,
  })
  const close = async () => {
    await canary?.stop()
    await registry.close()
  }
  return { app, registry, logger, promRegistry, canary, close }
}
