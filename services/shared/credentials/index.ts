// Service credentials: bearer tokens for the calls that change what is served (registry writes,
// model control) or what drift learns from (ingest, labels). Each credential names its holder, and
// that name, not anything the caller writes, is the audit actor. Web-standard (WebCrypto), so the
// gateway's runtimes could use it too.
import type { Context, MiddlewareHandler } from 'hono'
import { z } from 'zod'

export const SCOPES = [
  'registry:write',
  'drift:ingest',
  'drift:labels',
  'inference:model-control',
] as const
export type Scope = (typeof SCOPES)[number]

/** Holder names double as audit actors and log fields: short, printable, no spaces. */
const holderName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$/, 'must be 1-64 of A-Z a-z 0-9 . _ @ : -')

const credentialSchema = z.strictObject({
  name: holderName,
  /** Hex SHA-256 of the token: a config file or Secret never needs the token itself. */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be a hex SHA-256 digest (64 hex characters)')
    .transform((hex) => hex.toLowerCase()),
  scopes: z.array(z.enum(SCOPES)).min(1),
})
export const credentialsSchema = z.array(credentialSchema).max(1000)
export type Credential = z.output<typeof credentialSchema>

export interface Principal {
  name: string
  scopes: readonly Scope[]
}

/** A Hono env for routes behind `requireScope`: `c.get('principal')`. */
export type CredentialEnv = { Variables: { principal: Principal } }

/** Longer Authorization headers are refused before hashing anything. */
export const MAX_TOKEN_LENGTH = 512

const encoder = new TextEncoder()

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** A new random token (256 bits, URL-safe): what `npm start` and the platform hand out. */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

/** The credential a service is configured with for a token it hands out. */
export async function credentialFor(
  name: string,
  token: string,
  scopes: Scope[],
): Promise<Credential> {
  return credentialSchema.parse({ name, sha256: await sha256Hex(token), scopes })
}

/** Checked credentials, or an error naming each problem (for config files and env vars). */
export function parseCredentials(value: unknown, source: string): Credential[] {
  const result = credentialsSchema.safeParse(value)
  if (result.success) {
    const names = new Set<string>()
    for (const { name } of result.data) {
      if (names.has(name)) throw new Error(`${source}: credential name '${name}' is repeated`)
      names.add(name)
    }
    return result.data
  }
  const problems = result.error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  )
  throw new Error(`${source} is invalid: ${problems.join('; ')}`)
}

/** The Authorization header a client sends with a token. */
export const bearer = (token: string | undefined): Record<string, string> =>
  token ? { authorization: `Bearer ${token}` } : {}

export type Verification =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; error: string }

/** Looks a request's bearer token up by its digest (a Map keyed by SHA-256: no timing oracle). */
export class CredentialVerifier {
  readonly #byDigest: Map<string, Credential>

  constructor(credentials: readonly Credential[]) {
    this.#byDigest = new Map(credentials.map((credential) => [credential.sha256, credential]))
  }

  get size() {
    return this.#byDigest.size
  }

  async verify(authorization: string | undefined, scope: Scope): Promise<Verification> {
    if (this.#byDigest.size === 0)
      return {
        ok: false,
        status: 403,
        error: `this service has no credentials configured, so nothing may ${scope}`,
      }
    if (!authorization)
      return { ok: false, status: 401, error: `this call needs a bearer token with scope ${scope}` }
    if (authorization.length > MAX_TOKEN_LENGTH + 7)
      return { ok: false, status: 401, error: 'the Authorization header is too long' }
    const match = /^Bearer +(\S+)$/i.exec(authorization)
    if (!match) return { ok: false, status: 401, error: 'the Authorization header must be Bearer' }
    const credential = this.#byDigest.get(await sha256Hex(match[1] as string))
    if (!credential) return { ok: false, status: 401, error: 'the bearer token is not valid' }
    if (!credential.scopes.includes(scope))
      return { ok: false, status: 403, error: `'${credential.name}' may not ${scope}` }
    return { ok: true, principal: { name: credential.name, scopes: credential.scopes } }
  }
}

/**
 * 401 without a valid bearer token, 403 without `scope`; otherwise sets `principal`. It reads only
 * headers, so a refused caller's body is never read.
 */
export function requireScope(
  verifier: CredentialVerifier,
  scope: Scope,
): MiddlewareHandler<CredentialEnv> {
  return async (c, next) => {
    const result = await verifier.verify(c.req.header('authorization'), scope)
    if (!result.ok) {
      if (result.status === 401) c.header('WWW-Authenticate', 'Bearer realm="infera"')
      return c.json({ error: result.error }, result.status)
    }
    c.set('principal', result.principal)
    await next()
  }
}

/** The principal `requireScope` set: the audit actor of the change. */
export const principalOf = (c: Context<CredentialEnv>) => c.get('principal')
