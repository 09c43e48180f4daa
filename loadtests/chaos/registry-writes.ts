// Registry writes during a fault: a new candidate version of one scratch model at a steady pace,
// with the versions the registry accepted kept, so that afterwards each can be looked for. A write
// refused while the registry or its database is down is fine; one accepted and then missing is lost.
import { bearer } from '../../services/shared/credentials/index.ts'
import type { Kept } from './accounting.ts'

export interface VersionFiles {
  onnx: Uint8Array
  config: object
  /** The training data: drift's reference for the version. */
  reference?: Uint8Array
}

export class RegistryWriter {
  readonly #url: string
  readonly #token: string
  readonly #model: string
  readonly #files: VersionFiles
  #accepted: number[] = []
  #timer: NodeJS.Timeout | undefined
  #writing: Promise<void> = Promise.resolve()

  constructor(options: { url: string; token: string; model: string; files: VersionFiles }) {
    this.#url = options.url
    this.#token = options.token
    this.#model = options.model
    this.#files = options.files
  }

  /** One register every `everyMs`, each after the one before has answered. */
  start(everyMs: number) {
    const tick = () => {
      this.#writing = this.#register().then(() => {
        if (this.#timer) this.#timer = setTimeout(tick, everyMs)
      })
    }
    this.#timer = setTimeout(tick, 0)
  }

  /** Stops writing; resolves with the versions accepted since `start`. */
  async stop(): Promise<number[]> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#writing
    return this.#accepted.splice(0)
  }

  /** Which of `accepted` the registry holds now. */
  async kept(accepted: readonly number[]): Promise<Kept> {
    // Unreadable counts as nothing kept: the registry should be back by now.
    const response = await fetch(`${this.#url}/v1/models/${this.#model}`, {
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined)
    const held = new Set<number>()
    if (response?.ok) {
      const { versions } = (await response.json()) as { versions: { version: number }[] }
      for (const { version } of versions) held.add(version)
    } else await response?.body?.cancel()
    return { accepted: accepted.length, kept: accepted.filter((v) => held.has(v)).length }
  }

  async #register() {
    const response = await registerVersion(this.#url, this.#token, this.#model, this.#files).catch(
      () => undefined,
    )
    if (!response?.ok) return void (await response?.body?.cancel())
    const { version } = (await response.json()) as { version: number }
    this.#accepted.push(version)
  }
}

/** POST a version as `infera models register` does, with the registry's write token. */
export function registerVersion(url: string, token: string, model: string, files: VersionFiles) {
  const form = new FormData()
  form.set('model.onnx', new Blob([files.onnx as Uint8Array<ArrayBuffer>]))
  form.set('config.json', JSON.stringify(files.config))
  if (files.reference)
    form.set('reference.csv', new Blob([files.reference as Uint8Array<ArrayBuffer>]))
  form.set('reason', 'infera chaos')
  return fetch(`${url}/v1/models/${model}/versions`, {
    method: 'POST',
    headers: bearer(token),
    body: form,
    signal: AbortSignal.timeout(10_000),
  })
}
