/**
 * The registry over HTTP, with the same operations and answers as the registry in process. Writes
 * carry the client's token; the service audits them under the token's credential name, so the
 * `actor` the operations take is not sent.
 */

// The contract and its own folder alone: the client loads none of the service's code.
import { bearer } from '../../../shared/credentials/index.ts'
import {
  type AliasOptions,
  type AliasRemoval,
  ArtifactError,
  type AuditPage,
  type AuditPageOptions,
  type Change,
  type ModelPage,
  type ModelRegistry,
  type ModelView,
  type PageOptions,
  type PromoteOptions,
  type RegisterInput,
  RegistryError,
  SHA256_HEADER,
  type TransitionResult,
  type VersionDetail,
  type VersionDiff,
} from '../types.ts'
import { verified } from './files.ts'
import { everyModel } from './pages.ts'

export { type MaterializedModel, materialize } from './materialize.ts'

const STATUSES = new Set([400, 401, 403, 404, 409, 500])

export interface RegistryClientOptions {
  /** A bearer token with scope registry:write: needed for every change, not for reads. */
  token?: string
}

export class RegistryClient implements ModelRegistry {
  readonly #base: string
  readonly #auth: Record<string, string>

  /** `url`: where the registry service listens, e.g. http://127.0.0.1:8083. */
  constructor(url: string, { token }: RegistryClientOptions = {}) {
    this.#base = url.replace(/\/+$/, '')
    this.#auth = bearer(token)
  }

  async #request(
    method: string,
    path: string,
    { body }: { body?: unknown } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...this.#auth }
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

  async #json<T>(method: string, path: string, options?: { body?: unknown }) {
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
    return this.#json('POST', `${this.#model(input.name)}/versions`, { body: form })
  }

  list(): Promise<ModelView[]> {
    return everyModel((page) => this.listPage(page))
  }

  listPage({ after, limit }: PageOptions = {}): Promise<ModelPage> {
    return this.#json('GET', `/v1/models${query({ after, limit })}`)
  }

  show(name: string): Promise<ModelView> {
    return this.#json('GET', this.#model(name))
  }

  audit(name: string, { before, limit }: AuditPageOptions = {}): Promise<AuditPage> {
    return this.#json('GET', `${this.#model(name)}/audit${query({ before, limit })}`)
  }

  version(name: string, version: number): Promise<VersionDetail> {
    return this.#json('GET', this.#version(name, version))
  }

  promote(name: string, version: number, options: PromoteOptions): Promise<TransitionResult> {
    const { actor: _, holdoutCsv, ...rest } = options
    return this.#json('POST', `${this.#version(name, version)}/promote`, {
      body: { ...rest, holdout: holdoutCsv },
    })
  }

  rollback(name: string, { reason }: Change): Promise<TransitionResult> {
    return this.#json('POST', `${this.#model(name)}/rollback`, { body: { reason } })
  }

  archive(name: string, version: number, { reason }: Change): Promise<TransitionResult> {
    return this.#json('POST', `${this.#version(name, version)}/archive`, { body: { reason } })
  }

  setAlias(
    name: string,
    alias: 'canary',
    version: number,
    { weight, reason }: AliasOptions,
  ): Promise<TransitionResult> {
    return this.#json('PUT', `${this.#model(name)}/aliases/${alias}`, {
      body: { version, weight, reason },
    })
  }

  removeAlias(name: string, alias: 'canary', { reason, version }: AliasRemoval) {
    return this.#json<TransitionResult>('DELETE', `${this.#model(name)}/aliases/${alias}`, {
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

function query(params: Record<string, string | number | undefined>) {
  const defined = Object.entries(params).filter(
    (entry): entry is [string, string | number] => entry[1] !== undefined,
  )
  return defined.length
    ? `?${new URLSearchParams(defined.map(([k, v]): [string, string] => [k, String(v)]))}`
    : ''
}
