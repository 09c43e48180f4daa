/**
 * The edge gateway as a Workers module (Cloudflare Workers, workerd, miniflare): the same app as
 * on Node and Deno, unmodified. The config is JSON or YAML text in the `GATEWAY_CONFIG` binding
 * (a secret or a var), e.g. in wrangler.toml:
 *
 *   main = "services/gateway/src/adapter/workers/index.ts"
 *   compatibility_date = "2025-01-01"
 *   [vars]
 *   GATEWAY_CONFIG = '''{"routes":[...]}'''
 *
 * Bundlers must pick the browser/worker builds of the packages (wrangler does; with esbuild use
 * `platform: 'browser'` or `mainFields: ['browser', 'module', 'main']`). Access logs go to
 * console.log as JSON lines. No health check loop runs: a Worker has no timers between requests,
 * so targets are judged by the circuit breaker alone.
 *
 * With `registry` configured, requests drive the registry polling instead: an isolate's first
 * request waits for a sync, and after that one runs beside a request (through waitUntil) when
 * `poll_seconds` have passed. A Cron Trigger would not do: routes live in each isolate's memory,
 * and a scheduled event reaches one isolate, not the ones serving.
 */
import type { ExecutionContext } from 'hono'
import {
  createGatewayApp,
  type GatewayApp,
  type GatewayConfig,
  parseGatewayConfig,
} from '../../index.ts'

export interface GatewayWorkerEnv {
  GATEWAY_CONFIG: string
}

interface Gateway {
  app: GatewayApp
  config: GatewayConfig
  builtFrom: string
  /** When the last registry sync started. */
  syncedAt: number
  syncing: boolean
}

// Built on the first request and kept for the isolate's life, so breaker state, round robin,
// rate limit buckets and the registry's routes persist across requests the isolate serves.
let built: Gateway | undefined

function gatewayFor(env: GatewayWorkerEnv): Gateway {
  if (typeof env.GATEWAY_CONFIG !== 'string' || env.GATEWAY_CONFIG === '') {
    throw new Error('the GATEWAY_CONFIG binding (JSON or YAML text) is missing')
  }
  // A redeploy with a new config gets a new isolate anyway; comparing text is cheap insurance.
  if (!built || built.builtFrom !== env.GATEWAY_CONFIG) {
    const config = parseGatewayConfig(env.GATEWAY_CONFIG, 'GATEWAY_CONFIG')
    const app = createGatewayApp(config, { log: (line) => console.log(JSON.stringify(line)) })
    built = {
      app,
      config,
      builtFrom: env.GATEWAY_CONFIG,
      syncedAt: Number.NEGATIVE_INFINITY,
      syncing: false,
    }
  }
  return built
}

/**
 * Syncs with the registry when a poll is due, one sync at a time and each within one request:
 * workerd cancels work continued on behalf of a request that has finished. The first sync holds
 * the request that starts it, so an isolate's first answer already follows the registry.
 */
async function followRegistry(gateway: Gateway, ctx: ExecutionContext): Promise<void> {
  const { registry } = gateway.config
  const now = Date.now()
  if (!registry || gateway.syncing || now - gateway.syncedAt < registry.poll_seconds * 1000) return
  const first = gateway.syncedAt === Number.NEGATIVE_INFINITY
  gateway.syncing = true
  gateway.syncedAt = now
  const sync = gateway.app.syncRegistry().finally(() => {
    gateway.syncing = false
  })
  if (first) await sync
  else ctx.waitUntil(sync)
}

export default {
  async fetch(request: Request, env: GatewayWorkerEnv, ctx: ExecutionContext) {
    let current: Gateway
    try {
      current = gatewayFor(env)
    } catch (error) {
      console.error(JSON.stringify({ msg: 'gateway config error', error: String(error) }))
      return Response.json({ error: 'gateway misconfigured' }, { status: 500 })
    }
    await followRegistry(current, ctx)
    // ctx lets shadow traffic outlive the response through waitUntil.
    return current.app.fetch(request, env, ctx)
  },
}
