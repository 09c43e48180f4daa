import {
  createRemoteJWKSet,
  customFetch,
  importSPKI,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose'
import { z } from 'zod'

/** What a key or token may do beyond inference, listed as its models are. */
export const scopeSchema = z.enum(['admin'])
export type Scope = z.output<typeof scopeSchema>

const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a hex SHA-256 digest (64 hex characters)')
  .transform((hex) => hex.toLowerCase())

export const authConfigSchema = z.object({
  api_keys: z
    .array(
      z.object({
        tenant: z.string().min(1),
        sha256: sha256Hex,
        models: z.array(z.string().min(1)),
        /** `admin`: Triton's statistics and the repository index pass through (see README). */
        scopes: z.array(scopeSchema).default([]),
      }),
    )
    .optional(),
  jwt: z
    .object({
      secret: z.string().min(1).optional(),
      public_key: z.string().min(1).optional(),
      jwks_url: z.url().optional(),
      issuer: z.string().min(1).optional(),
      audience: z.string().min(1).optional(),
      tenant_claim: z.string().min(1).default('sub'),
      models_claim: z.string().min(1).default('models'),
      /** Scopes as OAuth writes them (space-separated) or a list; unknown ones are ignored. */
      scopes_claim: z.string().min(1).default('scope'),
      /**
       * Refuses tokens without an `exp` claim, which would otherwise never expire. Off by default
       * only for compatibility with issuers that leave it out; the platform's configs turn it on.
       */
      require_exp: z.boolean().default(false),
    })
    .refine(
      (jwt) => [jwt.secret, jwt.public_key, jwt.jwks_url].filter(Boolean).length === 1,
      'jwt needs exactly one of secret, public_key or jwks_url',
    )
    .optional(),
  /** Paths served without credentials. `/metrics` is open only when listed here. */
  open_paths: z.array(z.string()).default(['/v2/health/live', '/v2/health/ready']),
})

/** Who may read `/metrics` when it is not an open path: tokens of their own, never tenant keys. */
export const metricsAccessSchema = z.strictObject({
  /** Hex SHA-256 of each scrape token, sent as `Authorization: Bearer` or `x-api-key`. */
  sha256: z.array(sha256Hex).min(1),
})

export type MetricsAccess = z.output<typeof metricsAccessSchema>

export type AuthConfig = z.output<typeof authConfigSchema>

export interface Principal {
  tenant: string
  models: string[]
  scopes: readonly Scope[]
}

export type AuthResult =
  | ({ ok: true } & Principal)
  | { ok: false; status: 401 | 403; error: string }

export type Authenticator = (request: Request) => Promise<AuthResult>

export interface AuthDeps {
  /** Used to download the JWKS; defaults to the global fetch. */
  fetch?: typeof fetch
  /** Milliseconds since the epoch; the clock for token expiry. */
  now?: () => number
}

const encoder = new TextEncoder()

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

const MAX_CACHED_DIGESTS = 1024

/**
 * The first entry whose digest equals `digest`. Every entry is compared in full, so timing says
 * nothing about which one, or how much of one, matched.
 */
function matchDigest<T>(
  digest: Uint8Array,
  entries: readonly { digest: Uint8Array; value: T }[],
): T | undefined {
  let found: T | undefined
  for (const entry of entries) {
    let diff = 0
    for (let i = 0; i < digest.length; i++) diff |= (digest[i] ?? 0) ^ (entry.digest[i] ?? 0)
    if (diff === 0 && found === undefined) found = entry.value
  }
  return found
}

/** Hex SHA-256 of an API key, the form `api_keys[].sha256` stores. */
export async function hashApiKey(key: string): Promise<string> {
  return Array.from(await sha256(key), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) =>
    Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16),
  )
}

export function allows(principal: { models: string[] }, model: string): boolean {
  return principal.models.includes('*') || principal.models.includes(model)
}

export const METRICS_PATH = '/metrics'

export function isOpenPath(config: Pick<AuthConfig, 'open_paths'>, path: string): boolean {
  return config.open_paths.includes(path)
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

// jose errors that mean "this token is bad". Anything else (JWKS unreachable, timed out or
// malformed, an unusable configured key) is the gateway's fault and is rethrown, not a 401.
const TOKEN_ERRORS = new Set([
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
])

const deny = (error: string): AuthResult => ({ ok: false, status: 401, error })

const MISSING = deny('missing credentials: send Authorization: Bearer <key or token> or x-api-key')
const UNKNOWN_KEY = deny('unknown API key')
const INVALID_TOKEN = deny('invalid token')
const EXPIRED_TOKEN = deny('token expired')

type JwtConfig = NonNullable<AuthConfig['jwt']>
type KeyAndAlgorithms = { key: JWTVerifyGetKey; algorithms: string[] }

/**
 * A PEM does not say which JWS algorithm it is for, and jose's importSPKI needs one: RSA keys
 * only import as RS256 and P-256 keys only as ES256, so the first import that succeeds tells.
 */
async function importPublicKey(pem: string): Promise<KeyAndAlgorithms> {
  for (const alg of ['RS256', 'ES256']) {
    try {
      const key = await importSPKI(pem, alg)
      return { key: () => key, algorithms: [alg] }
    } catch {}
  }
  throw new Error('jwt.public_key is not an RSA or P-256 SPKI PEM public key')
}

function jwtKeySource(jwt: JwtConfig, deps: AuthDeps): () => Promise<KeyAndAlgorithms> {
  if (jwt.secret !== undefined) {
    const secret = encoder.encode(jwt.secret)
    const resolved = { key: () => secret, algorithms: ['HS256'] }
    return async () => resolved
  }
  if (jwt.public_key !== undefined) {
    const pem = jwt.public_key
    let imported: Promise<KeyAndAlgorithms> | undefined
    return () => {
      imported ??= importPublicKey(pem)
      return imported
    }
  }
  // The schema guarantees jwks_url when neither secret nor public_key is set.
  const jwks = createRemoteJWKSet(new URL(jwt.jwks_url ?? ''), {
    ...(deps.fetch && { [customFetch]: deps.fetch }),
  })
  const resolved = { key: jwks, algorithms: ['RS256', 'ES256'] }
  return async () => resolved
}

function namesFrom(claim: unknown): string[] | undefined {
  if (claim === undefined) return []
  if (typeof claim === 'string') return claim.split(' ').filter(Boolean)
  if (Array.isArray(claim) && claim.every((m) => typeof m === 'string')) return claim
  return undefined
}

function principalFrom(payload: JWTPayload, jwt: JwtConfig): AuthResult {
  const tenant = payload[jwt.tenant_claim]
  const models = namesFrom(payload[jwt.models_claim])
  const claimed = namesFrom(payload[jwt.scopes_claim])
  if (typeof tenant !== 'string' || tenant === '' || models === undefined || claimed === undefined)
    return INVALID_TOKEN
  const scopes = scopeSchema.options.filter((scope) => claimed.includes(scope))
  return { ok: true, tenant, models, scopes }
}

function credentialFrom(request: Request): { value: string; bearer: boolean } | undefined {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')?.[1]
  if (token !== undefined) return { value: token, bearer: true }
  const apiKey = request.headers.get('x-api-key')?.trim()
  return apiKey ? { value: apiKey, bearer: false } : undefined
}

export function createAuthenticator(config: AuthConfig, deps: AuthDeps = {}): Authenticator {
  const keys = (config.api_keys ?? []).map((entry) => ({
    digest: hexToBytes(entry.sha256),
    value: { tenant: entry.tenant, models: entry.models, scopes: entry.scopes },
  }))
  const jwt = config.jwt
  const jwtKey = jwt && jwtKeySource(jwt, deps)
  const now = deps.now ?? Date.now

  // Digests of keys seen recently, so a client's every request doesn't pay for SHA-256 again;
  // the constant-time comparison below still runs on every request.
  const digests = new Map<string, Uint8Array>()
  const digestOf = async (key: string) => {
    let digest = digests.get(key)
    if (!digest) {
      digest = await sha256(key)
      if (digests.size >= MAX_CACHED_DIGESTS) digests.delete(digests.keys().next().value as string)
      digests.set(key, digest)
    }
    return digest
  }

  async function checkApiKey(key: string): Promise<AuthResult> {
    const found = matchDigest(await digestOf(key), keys)
    return found
      ? { ok: true, tenant: found.tenant, models: [...found.models], scopes: found.scopes }
      : UNKNOWN_KEY
  }

  async function checkJwt(token: string, jwt: JwtConfig, source: () => Promise<KeyAndAlgorithms>) {
    const { key, algorithms } = await source()
    const options: JWTVerifyOptions = {
      algorithms,
      currentDate: new Date(now()),
      ...(jwt.issuer !== undefined && { issuer: jwt.issuer }),
      ...(jwt.audience !== undefined && { audience: jwt.audience }),
      ...(jwt.require_exp && { requiredClaims: ['exp'] }),
    }
    try {
      const { payload } = await jwtVerify(token, key, options)
      return principalFrom(payload, jwt)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (code === 'ERR_JWT_EXPIRED') return EXPIRED_TOKEN
      if (typeof code === 'string' && TOKEN_ERRORS.has(code)) return INVALID_TOKEN
      throw error
    }
  }

  return async (request) => {
    const credential = credentialFrom(request)
    if (!credential) return MISSING
    if (credential.bearer && jwt && jwtKey && JWT_SHAPE.test(credential.value)) {
      return checkJwt(credential.value, jwt, jwtKey)
    }
    return checkApiKey(credential.value)
  }
}

export type MetricsCheck = { ok: true } | { ok: false; status: 401 | 403; error: string }

/**
 * Whether a request may read `/metrics`, which names every tenant and upstream: anyone when it is
 * an open path, otherwise only a scrape token listed in `metrics.sha256` (tenant keys are not).
 */
export function createMetricsGuard(
  auth: Pick<AuthConfig, 'open_paths'>,
  access: MetricsAccess | undefined,
): (request: Request) => Promise<MetricsCheck> {
  if (isOpenPath(auth, METRICS_PATH)) return async () => ({ ok: true })
  const CLOSED: MetricsCheck = {
    ok: false,
    status: 403,
    error: 'metrics are closed: configure metrics.sha256 with a scrape token',
  }
  if (!access) return async () => CLOSED
  const tokens = access.sha256.map((hex) => ({ digest: hexToBytes(hex), value: true }))
  return async (request) => {
    const credential = credentialFrom(request)
    if (!credential) return MISSING
    if (matchDigest(await sha256(credential.value), tokens)) return { ok: true }
    return deny('not a metrics token')
  }
}
