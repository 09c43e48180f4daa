import type { Context, MiddlewareHandler } from 'hono'
import { fail, type GatewayEnv } from '../context/index.ts'
import {
  type AuthConfig,
  type Authenticator,
  isOpenPath,
  METRICS_PATH,
  type Scope,
} from './authenticate.ts'

/** A 401 or 403 answer; a 401 tells the client how to authenticate. */
export function refuse(c: Context, refusal: { status: 401 | 403; error: string }): Response {
  const challenge: Record<string, string> =
    refusal.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}
  return fail(c, refusal.status, refusal.error, challenge)
}

/**
 * Sets the caller's principal, or refuses it. Looks at headers only, so nothing reads a body
 * before it (and the rate limit after it) have passed.
 */
export function authGuard(
  config: Pick<AuthConfig, 'open_paths'>,
  authenticate: Authenticator,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    // /metrics has credentials of its own (scrape tokens), checked by its route.
    if (isOpenPath(config, c.req.path) || c.req.path === METRICS_PATH) return next()
    const trace = c.get('trace')
    const result = await (trace
      ? trace.step('auth', () => authenticate(c.req.raw))
      : authenticate(c.req.raw))
    if (!result.ok) return refuse(c, result)
    c.set('principal', { tenant: result.tenant, models: result.models, scopes: result.scopes })
    return next()
  }
}

/**
 * Lets a request on only when its key or token has `scope`: a 403 naming the scope otherwise. A
 * path that `open_paths` lists has no principal, and no scope either.
 */
export function requireScope(scope: Scope): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    if (c.get('principal')?.scopes.includes(scope)) return next()
    return refuseScope(c, scope)
  }
}

/** The 403 naming the scope the caller lacks. */
export function refuseScope(c: Context<GatewayEnv>, scope: Scope): Response {
  const principal = c.get('principal')
  const who = principal ? `tenant ${principal.tenant}` : 'an anonymous caller'
  return refuse(c, {
    status: 403,
    error: `${c.req.path} needs the ${scope} scope, which ${who} lacks`,
  })
}
