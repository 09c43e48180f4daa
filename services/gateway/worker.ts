/**
 * The edge gateway as a Workers module (Cloudflare Workers, workerd, miniflare): the same app as
 * on Node and Deno, unmodified. The config is JSON or YAML text in the `GATEWAY_CONFIG` binding
 * (a secret or a var), e.g. in wrangler.toml:
 *
 *   main = "services/gateway/worker.ts"
 *   compatibility_date = "2025-01-01"
 *   [vars]
 *   GATEWAY_CONFIG = '''{"routes":[...]}'''
 *
 * Bundlers must pick the browser/worker builds of the packages (wrangler does; with esbuild use
 * `platform: 'browser'` or `mainFields: ['browser', 'module', 'main']`). Access logs go to
 * console.log as JSON lines. No health check loop runs: a Worker has no timers between requests,
 * so targets are judged by the circuit breaker alone.
 */
import type { ExecutionContext } from 'hono'
import { createGatewayApp, type GatewayApp, parseGatewayConfig } from './src/index.ts'

export interface GatewayWorkerEnv {
  GATEWAY_CONFIG: string
}

// Built on the first request and kept for the isolate's life, so breaker state, round robin and
// rate limit buckets persist across requests the isolate serves.
let app: GatewayApp | undefined
let builtFrom: string | undefined

function appFor(env: GatewayWorkerEnv): GatewayApp {
  if (typeof env.GATEWAY_CONFIG !== 'string' || env.GATEWAY_CONFIG === '') {
    throw new Error('the GATEWAY_CONFIG binding (JSON or YAML text) is missing')
  }
  // A redeploy with a new config gets a new isolate anyway; comparing text is cheap insurance.
  if (!app || builtFrom !== env.GATEWAY_CONFIG) {
    app = createGatewayApp(parseGatewayConfig(env.GATEWAY_CONFIG, 'GATEWAY_CONFIG'), {
      log: (line) => console.log(JSON.stringify(line)),
    })
    builtFrom = env.GATEWAY_CONFIG
  }
  return app
}

export default {
  fetch(request: Request, env: GatewayWorkerEnv, ctx: ExecutionContext) {
    let gateway: GatewayApp
    try {
      gateway = appFor(env)
    } catch (error) {
      console.error(JSON.stringify({ msg: 'gateway config error', error: String(error) }))
      return Response.json({ error: 'gateway misconfigured' }, { status: 500 })
    }
    // ctx lets shadow traffic outlive the response through waitUntil.
    return gateway.fetch(request, env, ctx)
  },
}
