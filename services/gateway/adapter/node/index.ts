import { readFile } from 'node:fs/promises'
import pino, { type Logger } from 'pino'
import { createClient } from 'redis'
import { listenUntilClosed } from '../../../shared/node-server/index.ts'
import { createGatewayApp, type GatewayConfig, parseGatewayConfig } from '../../src/index.ts'
import { RedisRateLimitStore } from './redis-store.ts'
import { createNodeSend } from './send.ts'

export interface GatewayServerOptions {
  /** A config file (JSON or YAML), or the config itself. */
  config: string | GatewayConfig
  port: number
  /** 127.0.0.1 unless given. */
  host?: string
  /** Rate limits in Redis, shared by every replica; in memory without it. */
  redisUrl?: string
  logger?: Logger
}

/**
 * A Redis client that never holds a request up: with Redis unreachable commands fail at once
 * (no offline queue) while it reconnects in the background, so the rate limit's failure mode
 * decides. An 'error' event without a listener would end the process.
 */
function connectRedis(url: string, logger: Logger) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000),
    },
  })
  client.on('error', (error: Error) => logger.warn({ event: 'redis_error', error: error.message }))
  client.on('ready', () => logger.info({ event: 'redis_ready' }))
  // Not awaited: a gateway starts, and serves, while Redis is still down.
  client.connect().catch(() => {})
  return client
}

/**
 * The gateway on Node: the web-standard app, with pino access logs and an optional Redis store.
 * With `registry` configured it reads the registry once before listening (serving the file's
 * routes if that fails; the error is logged) and then polls it until closed.
 */
export async function startGatewayServer(options: GatewayServerOptions) {
  // Asynchronous writes: one access log line per request, and a synchronous write each was the
  // largest single cost of a proxied request. Lines written meanwhile go out together; pino flushes
  // what is left when the process exits.
  const logger =
    options.logger ?? pino({ name: 'gateway' }, pino.destination({ dest: 1, sync: false }))
  const config =
    typeof options.config === 'string'
      ? parseGatewayConfig(await readFile(options.config, 'utf8'), options.config)
      : options.config
  const redis = options.redisUrl ? connectRedis(options.redisUrl, logger) : undefined
  const upstream = createNodeSend()
  const app = createGatewayApp(config, {
    send: upstream.send,
    log: (line) => logger.info(line, 'request'),
    ...(redis ? { rateLimitStore: new RedisRateLimitStore(redis) } : {}),
  })
  app.healthChecks.start()
  if (config.registry) await app.syncRegistry()
  const { url, port, close } = await listenUntilClosed(app.fetch, options, {
    release: async () => {
      app.registryFollower.stop()
      app.healthChecks.stop()
      upstream.close()
      // destroy, not close: close waits for replies a Redis that is down never sends.
      if (redis?.isOpen) redis.destroy()
      logger.info('gateway stopped')
      logger.flush()
    },
  })
  app.registryFollower.start()
  logger.info(
    { url, routes: app.getRoutes().map((r) => r.model), registry: config.registry?.url },
    'gateway ready',
  )
  return { url, port, close, syncRegistry: app.syncRegistry }
}
