import { createHash } from 'node:crypto'
import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import * as random from '@pulumi/random'
import { credentialsFor, HOLDERS, type Holder } from '../../cli/local/credentials.ts'

type EnvVar = k8s.types.input.core.v1.EnvVar
type Volume = k8s.types.input.core.v1.Volume
type VolumeMount = k8s.types.input.core.v1.VolumeMount

/** Where a service's credentials file (digests only) is mounted, and the flag that reads it. */
export const CREDENTIALS_DIR = '/etc/infera/credentials'
export const CREDENTIALS_FILE = `${CREDENTIALS_DIR}/credentials.json`

/** The Secret holding one holder's token (key `token`): what a client's env var reads. */
export const tokenSecretName = (holder: Holder) => `token-${HOLDERS[holder].name}`

/** What a workload gets from `ServiceTokens`: merged into its container and pod. */
export interface WorkloadCredentials {
  args: string[]
  env: EnvVar[]
  volumes: Volume[]
  volumeMounts: VolumeMount[]
  /**
   * A digest of every token and credential the pod reads at start: a rotated token rolls the
   * pods that hold it and the pods that check it.
   */
  podAnnotations: Record<string, pulumi.Input<string>>
}

/**
 * One generated token per holder (`@pulumi/random`, a Pulumi secret), each in a Kubernetes Secret
 * of its own; and per service the credentials file of the holders it accepts, as a Secret
 * mounted into its pods. No token is ever a plain input: env vars read them by `secretKeyRef`.
 */
export class ServiceTokens {
  readonly #tokens: Record<Holder, pulumi.Output<string>>
  readonly #secrets: Record<Holder, k8s.core.v1.Secret>
  readonly #name: string
  readonly #namespace: string
  readonly #opts: pulumi.CustomResourceOptions

  constructor(
    name: string,
    namespace: string,
    opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
  ) {
    this.#name = name
    this.#namespace = namespace
    this.#opts = opts
    const tokens = {} as Record<Holder, pulumi.Output<string>>
    const secrets = {} as Record<Holder, k8s.core.v1.Secret>
    for (const holder of Object.keys(HOLDERS) as Holder[]) {
      const secretName = tokenSecretName(holder)
      const password = new random.RandomPassword(
        `${name}-${secretName}`,
        { length: 48, special: false },
        { parent: opts.parent },
      )
      tokens[holder] = pulumi.secret(password.result)
      secrets[holder] = new k8s.core.v1.Secret(
        `${name}-${secretName}`,
        { metadata: { name: secretName, namespace }, stringData: { token: tokens[holder] } },
        opts,
      )
    }
    this.#tokens = tokens
    this.#secrets = secrets
  }

  /**
   * A service's credentials file, listing the holders it `accepts`, mounted from a Secret and read
   * with `--credentials`; and the tokens of the holders it `sends` as, each in the env var its
   * client reads.
   */
  forWorkload(
    service: string,
    { accepts = [], sends = [] }: { accepts?: readonly Holder[]; sends?: readonly Holder[] },
  ): WorkloadCredentials {
    const file = accepts.length
      ? pulumi
          .all(this.#tokens)
          .apply(async (tokens) => JSON.stringify(await credentialsFor(accepts, tokens)))
      : undefined
    const secret =
      file &&
      new k8s.core.v1.Secret(
        `${this.#name}-${service}-credentials`,
        {
          metadata: { name: `${service}-credentials`, namespace: this.#namespace },
          stringData: { 'credentials.json': pulumi.secret(file) },
        },
        this.#opts,
      )
    // A digest of random tokens gives none of them away; left secret, it would hide the whole
    // pod spec in every preview.
    const fingerprint = pulumi.unsecret(
      pulumi
        .all([file ?? '', ...sends.map((holder) => this.#tokens[holder])])
        .apply((parts) => sha256(parts.join('\n'))),
    )
    return {
      args: secret ? ['--credentials', CREDENTIALS_FILE] : [],
      env: sends.map((holder) => ({
        name: HOLDERS[holder].env,
        valueFrom: { secretKeyRef: { name: this.#secrets[holder].metadata.name, key: 'token' } },
      })),
      volumes: secret
        ? [{ name: 'credentials', secret: { secretName: secret.metadata.name } }]
        : [],
      volumeMounts: secret
        ? [{ name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true }]
        : [],
      podAnnotations: { 'infera.dev/credentials-sha256': fingerprint },
    }
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
