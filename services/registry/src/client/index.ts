/** The registry over HTTP, with the same operations and answers as the registry in process. */

// The headers alone: the client needs none of the service's code.
import { ACTOR_HEADER, SHA256_HEADER } from '../app/headers.ts'
import { ArtifactError, verified } from '../artifacts/index.ts'
import {
  type AliasOptions,
  type AliasRemoval,
  type Change,
  type ModelRegistry,
  type ModelView,
  type PromoteOptions,
  type RegisterInput,
  RegistryError,
  type TransitionResult,
  type VersionDetail,
  type VersionDiff,
} from '../registry/index.ts'

const STATUSES = new Set([400, 404, 409, 500])

export class RegistryClient implements ModelRegistry {
  readonly #base: string

  /** `url`: where the registry service listens, e.g. http://127.0.0.1:8083. */
  constructor(url: string) {
    this.#base = url.replace(/\/+$/, '')
  }

  async #request(
    method: string,
    path: string,
    { actor, body }: { actor?: string; body?: unknown } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = actor ? { [ACTOR_HEADER]: actor } : {}
    if (body !== undefined && !(body instanceof FormData))
      headers['content-type'] = 'application/json'
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers,
      ...(body === undefined
        ? {}
        : { body: body instanceof FormData ? body : JSON.stringify(body) }),
    })
    if (response.ok) return response
    // The service's refusals come back as the RegistryError it threw, details and all.
    const { error, ...details } = (await response.json().catch(() => ({}))) as {
      error?: string
    } & Record<string, unknown>
    const status = STATUSES.has(response.status) ? response.status : 500
    throw new RegistryError(
      status as RegistryError['status'],
      error ?? `${method} ${path} answered ${response.status}`,
      details,
    )
  }

  async #json<T>(method: string, path: string, options?: { actor?: string; body?: unknown }) {
    return (await (await this.#request(method, path, options)).json()) as T
  }

  register(input: RegisterInput): Promise<VersionDetail> {
    const form = new FormData()
    form.set('model.onnx', new Blob([input.files['model.onnx'] as Uint8Array<ArrayBuffer>]))
    const reference = input.files['reference.csv']
    if (reference) form.set('reference.csv', new Blob([reference as Uint8Array<ArrayBuffer>]))
    form.set('config.json', JSON.stringify(input.config))
    if (input.metrics) form.set('metrics.json', JSON.stringify(input.metrics))
    const fields = {
      version: input.version?.toString(),
      stage: input.stage,
      reason: input.reason,
      ...input.lineage,
    }
    for (const [key, value] of Object.entries(fields)) {
      if (typeof value === 'string') form.set(key, value)
    }
    return this.#json('POST', `${this.#model(input.name)}/versions`, {
      actor: input.actor,
      body: form,
    })
  }

  async list(): Promise<ModelView[]> {
    return (await this.#json<{ models: ModelView[] }>('GET', '/v1/models')).models
  }

  show(name: string): Promise<ModelView> {
    return this.#json('GET', this.#model(name))
  }

  version(name: string, version: number): Promise<VersionDetail> {
    return this.#json('GET', this.#version(name, version))
  }

  promote(name: string, version: number, options: PromoteOptions): Promise<TransitionResult> {
    const { actor, holdoutCsv, ...rest } = options
    return this.#json('POST', `${this.#version(name, version)}/promote`, {
      actor,
      body: { ...rest, holdout: holdoutCsv },
    })
  }

  rollback(name: string, { actor, reason }: Change): Promise<TransitionResult> {
    return this.#json('POST', `${this.#model(name)}/rollback`, { actor, body: { reason } })
  }

  archive(name: string, version: number, { actor, reason }: Change): Promise<TransitionResult> {
    return this.#json('POST', `${this.#version(name, version)}/archive`, {
      actor,
      body: { reason },
    })
  }

  setAlias(
    name: string,
    alias: 'canary',
    version: number,
    { actor, weight, reason }: AliasOptions,
  ): Promise<TransitionResult> {
    return this.#json('PUT', `${this.#model(name)}/aliases/${alias}`, {
      actor,
      body: { version, weight, reason },
    })
  }

  removeAlias(name: string, alias: 'canary', { actor, reason, version }: AliasRemoval) {
    return this.#json<TransitionResult>('DELETE', `${this.#model(name)}/aliases/${alias}`, {
      actor,
      body: { reason, version },
    })
  }

  diff(name: string, from: number, to: number): Promise<VersionDiff> {
    return this.#json('GET', `${this.#model(name)}/diff?from=${from}&to=${to}`)
  }

  /** Downloads the file and checks it against the digest the registry recorded. */
  async file(name: string, version: number, file: string): Promise<Uint8Array> {
    const path = `${this.#version(name, version)}/files/${encodeURIComponent(file)}`
    const response = await this.#request('GET', path)
    const digest = response.headers.get(SHA256_HEADER) ?? ''
    const bytes = new Uint8Array(await response.arrayBuffer())
    if (!/^[0-9a-f]{64}$/.test(digest)) {
      throw new ArtifactError(`${this.#base}${path} came without a valid ${SHA256_HEADER} header`)
    }
    const size = Number(response.headers.get('content-length') ?? bytes.byteLength)
    return verified({ sha256: digest, size }, bytes, this.#base)
  }

  async close() {}

  #model(name: string) {
    return `/v1/models/${encodeURIComponent(name)}`
  }

  #version(name: string, version: number) {
    return `${this.#model(name)}/versions/${version}`
  }
}
