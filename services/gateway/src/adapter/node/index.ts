import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { createClient } from 'redis'
import { serviceLogger } from '../../../../shared/logging/index.ts'
import { type FetchHandler, listenUntilClosed } from '../../../../shared/node-server/index.ts'
import type { Tracer } from '../../../../shared/tracing/index.ts'
import {
  createGateway,
  type GatewayConfig,
  MemoryRateLimitStore,
  parseGatewayConfig,
} from '../../index.ts'
import { ShareOfLimitStore } from './cluster/ratelimit.ts'
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
  /**
   * Set when this process is one of `count` cluster workers (./cluster): `id` goes on every log
   * line, and without Redis its memory buckets keep 1/count of each rate limit.
   */
  worker?: { id: number; count: number }
  /** Spans for each request (services/shared/tracing/node.ts starts the SDK that gives one). */
  tracer?: Tracer
  /** The handler that listens, given the app's: a cluster worker's answers /metrics for all. */
  serve?: (fetch: FetchHandler) => FetchHandler
}

/** A config file read and validated, or the config itself. */
export async function loadGatewayConfig(config: string | GatewayConfig): Promise<GatewayConfig> {
  return typeof config === 'string'
    ? parseGatewayConfig(await readFile(config, 'utf8'), config)
    : config
}

function rateLimitStore(redis: ReturnType<typeof connectRedis> | undefined, workers: number) {
  if (redis) return new RedisRateLimitStore(redis)
  return workers > 1 ? new ShareOfLimitStore(new MemoryRateLimitStore(), workers) : undefined
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
  // One access log line per request: buffered, as a write each was the largest single cost of a
  // proxied request.
  const baseLogger = options.logger ?? serviceLogger('gateway')
  const logger = options.worker ? baseLogger.child({ worker: options.worker.id }) : baseLogger
  const config = await loadGatewayConfig(options.config)
  const redis = options.redisUrl ? connectRedis(options.redisUrl, logger) : undefined
  const upstream = createNodeSend()
  const store = rateLimitStore(redis, options.worker?.count ?? 1)
  const gateway = createGateway(config, {
    send: upstream.send,
    log: (line) => logger.info(line, 'request'),
    ...(store ? { rateLimitStore: store } : {}),
    ...(options.tracer ? { tracer: options.tracer } : {}),
  })
  const { app } = gateway
  await gateway.start()
  const handler = options.serve ? options.serve(app.fetch) : app.fetch
  const { url, port, close } = await listenUntilClosed(handler, options, {
    release: async () => {
      // The loops finish the sync and checks under way before their connections close.
      await gateway.stop()
      upstream.close()
      // destroy, not close: close waits for replies a Redis that is down never sends.
      if (redis?.isOpen) redis.destroy()
      logger.info('gateway stopped')
      logger.flush()
    },
  })
  logger.info(
    { url, routes: app.getRoutes().map((r) => r.model), registry: config.registry?.url },
    'gateway ready',
  )
  // Whoever waits for the ready line (a supervisor, a test) needn't wait for the buffer's timer.
  logger.flush()
  // Readiness goes first: load balancers stop sending while the requests under way finish.
  const drainAndClose = () => {
    app.drain()
    return close()
  }
  return { url, port, close: drainAndClose, syncRegistry: app.syncRegistry }
}
