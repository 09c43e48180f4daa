// Who holds which of the platform's service tokens, shared by the local platform (`npm start`) and
// the Pulumi program, so both hand out the same holders and scopes. A holder's name is the audit
// actor of what it changes.
import { rm, writeFile } from 'node:fs/promises'
import {
  type Credential,
  credentialFor,
  generateToken,
  type Scope,
} from '../../services/shared/credentials/index.ts'

export const HOLDERS = {
  /** The drift service registering and gating retrained candidates. */
  driftRetrainer: {
    name: 'drift-retrainer',
    scopes: ['registry:write'],
    env: 'INFERA_REGISTRY_TOKEN',
  },
  /** The model servers sending their captures to drift. */
  inference: { name: 'inference', scopes: ['drift:ingest'], env: 'INFERA_DRIFT_TOKEN' },
  /** Whoever posts ground truth to drift. */
  labeller: { name: 'labeller', scopes: ['drift:labels'], env: 'INFERA_LABELS_TOKEN' },
  /** People and pipelines registering and promoting models (`infera models`). */
  operator: { name: 'operator', scopes: ['registry:write'], env: 'INFERA_REGISTRY_TOKEN' },
} as const satisfies Record<string, { name: string; scopes: Scope[]; env: string }>
export type Holder = keyof typeof HOLDERS

/** The env var a client reads the gateway's scrape token from (the gateway's own key, not a scope). */
export const GATEWAY_METRICS_ENV = 'INFERA_GATEWAY_METRICS_TOKEN'

/** The holders each service accepts tokens from. */
export const ACCEPTS = {
  registry: ['driftRetrainer', 'operator'],
  drift: ['inference', 'labeller'],
} as const satisfies Record<string, Holder[]>

/** A service's credentials: each accepted holder's name, scopes and token digest. */
export const credentialsFor = (
  holders: readonly Holder[],
  tokens: Record<Holder, string>,
): Promise<Credential[]> =>
  Promise.all(
    holders.map((holder) =>
      credentialFor(HOLDERS[holder].name, tokens[holder], [...HOLDERS[holder].scopes]),
    ),
  )

/** A fresh token for every holder: a local platform's tokens last as long as it runs. */
export const generateTokens = (): Record<Holder, string> =>
  Object.fromEntries(Object.keys(HOLDERS).map((holder) => [holder, generateToken()])) as Record<
    Holder,
    string
  >

/**
 * Writes the tokens meant for local clients (owner-only), keyed by the env var each client reads
 * them from: `infera models` the operator's, a labeller (the drift demo) the labeller's.
 */
export async function writeClientTokens(file: string, tokens: Record<string, string>) {
  // mode applies only to a new file: an old one (of a platform killed before removing it) goes.
  await rm(file, { force: true })
  await writeFile(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
}
