import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { type ModelConfig, parseModelConfig, selectVersions } from '../config/index.ts'
import { badRequest, notFound, unavailable } from '../errors/index.ts'
import { type InferenceMetrics, type ModelState, setModelState } from '../metrics/index.ts'
import { ModelVersion } from '../model/index.ts'

export interface VersionStatus {
  name: string
  version: string
  state: ModelState
  reason: string
}

interface VersionEntry {
  version: number
  state: ModelState
  reason: string
  /** What was loaded: a change on disk means a reload. */
  fingerprint: string
  /** The last fingerprint that failed, so a broken file is not retried on every poll. */
  failedFingerprint?: string
  model?: ModelVersion
}

interface ModelEntry {
  name: string
  versions: Map<number, VersionEntry>
  /** Set when config.json or the version folders are unusable. */
  error?: string
  /** Unloaded through the repository API: polling leaves it alone until it is loaded again. */
  unloaded: boolean
  /** Syncs of one model run one after another. */
  lock: Promise<unknown>
}

export interface RepositoryOptions {
  dir: string
  metrics: InferenceMetrics
  logger: Logger
}

const VERSION_DIR = /^[1-9][0-9]*$/

/**
 * A Triton-style model repository: `dir/<model>/<version>/model.onnx` with an optional
 * `dir/<model>/config.json`. Keeps the served versions in step with the disk, loading new versions
 * before retiring old ones so that no request fails during a reload.
 */
export class ModelRepository {
  readonly #models = new Map<string, ModelEntry>()
  #pollTimer: NodeJS.Timeout | undefined
  #polling: Promise<void> | undefined

  constructor(readonly options: RepositoryOptions) {}

  /** Loads every model found on disk; models that fail are reported, the others serve. */
  async loadAll() {
    await Promise.all((await this.#modelNames()).map((name) => this.#sync(name)))
  }

  startPolling(intervalMs: number) {
    const tick = async () => {
      this.#polling = this.poll().catch((error) =>
        this.options.logger.error({ err: error }, 'poll failed'),
      )
      await this.#polling
      if (this.#pollTimer) this.#pollTimer = setTimeout(tick, intervalMs)
    }
    this.#pollTimer = setTimeout(tick, intervalMs)
  }

  async poll() {
    const onDisk = new Set(await this.#modelNames())
    const names = new Set([...onDisk, ...this.#models.keys()])
    await Promise.all(
      [...names].map((name) => {
        const entry = this.#models.get(name)
        if (entry?.unloaded) return undefined
        return onDisk.has(name) ? this.#sync(name) : this.#retire(name)
      }),
    )
  }

  index(): VersionStatus[] {
    const rows: VersionStatus[] = []
    for (const entry of [...this.#models.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.versions.size === 0) {
        rows.push({
          name: entry.name,
          version: '',
          state: 'UNAVAILABLE',
          reason: entry.unloaded ? 'unloaded' : (entry.error ?? 'no versions'),
        })
      }
      for (const v of [...entry.versions.values()].sort((a, b) => a.version - b.version)) {
        rows.push({
          name: entry.name,
          version: String(v.version),
          state: v.state,
          reason: v.reason || entry.error || '',
        })
      }
    }
    return rows
  }

  /** The ready versions of a model, newest first. */
  readyVersions(name: string): ModelVersion[] {
    const entry = this.#models.get(name)
    if (!entry) return []
    return [...entry.versions.values()]
      .filter((v) => v.state === 'READY' && v.model)
      .sort((a, b) => b.version - a.version)
      .map((v) => v.model as ModelVersion)
  }

  /** The version to serve: the one asked for, or the newest ready one. Throws 404 or 503. */
  resolve(name: string, version?: string): ModelVersion {
    const entry = this.#models.get(name)
    if (!entry) throw notFound(`unknown model '${name}'`)
    if (version === undefined) {
      const latest = this.readyVersions(name)[0]
      if (latest) return latest
      throw unavailable(`model '${name}' is not ready: ${this.#why(entry)}`)
    }
    const v = VERSION_DIR.test(version) ? entry.versions.get(Number(version)) : undefined
    if (!v) throw notFound(`unknown version '${version}' of model '${name}'`)
    if (v.state !== 'READY' || !v.model) {
      throw unavailable(
        `version ${version} of model '${name}' is ${v.state}${v.reason ? `: ${v.reason}` : ''}`,
      )
    }
    return v.model
  }

  has(name: string) {
    return this.#models.has(name)
  }

  /** Repository API load: (re)reads the model from disk and fails with its reason if none is ready. */
  async load(name: string) {
    if (!(await this.#modelNames()).includes(name)) {
      throw notFound(`model '${name}' is not in the repository`)
    }
    const entry = this.#entry(name)
    entry.unloaded = false
    await this.#sync(name)
    if (this.readyVersions(name).length === 0) {
      throw badRequest(`failed to load model '${name}': ${this.#why(entry)}`)
    }
  }

  async unload(name: string) {
    const entry = this.#models.get(name)
    if (!entry) throw notFound(`unknown model '${name}'`)
    entry.unloaded = true
    await this.#retire(name, false)
  }

  /** Stops polling and waits for every accepted request, then releases the sessions. */
  async close() {
    clearTimeout(this.#pollTimer)
    this.#pollTimer = undefined
    await this.#polling
    await Promise.all([...this.#models.keys()].map((name) => this.#retire(name)))
  }

  #why(entry: ModelEntry): string {
    if (entry.unloaded) return 'unloaded'
    if (entry.error) return entry.error
    const reasons = [...entry.versions.values()].map(
      (v) => `version ${v.version} ${v.state}${v.reason ? `: ${v.reason}` : ''}`,
    )
    return reasons.join('; ') || 'no versions'
  }

  #entry(name: string): ModelEntry {
    let entry = this.#models.get(name)
    if (!entry) {
      entry = { name, versions: new Map(), unloaded: false, lock: Promise.resolve() }
      this.#models.set(name, entry)
    }
    return entry
  }

  #locked(entry: ModelEntry, work: () => Promise<void>): Promise<void> {
    const next = entry.lock.then(work)
    entry.lock = next.catch(() => undefined)
    return next
  }

  async #modelNames(): Promise<string[]> {
    const entries = await readdir(this.options.dir, { withFileTypes: true })
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name)
  }

  #sync(name: string): Promise<void> {
    const entry = this.#entry(name)
    return this.#locked(entry, async () => {
      const found = await readModelDir(join(this.options.dir, name))
      if ('error' in found) {
        // A broken config.json keeps the versions already serving.
        entry.error = found.error
        if (entry.versions.size === 0) this.options.logger.error({ model: name }, found.error)
        return
      }
      delete entry.error
      const wanted = new Set(
        selectVersions(found.config.version_policy, [...found.versions.keys()]),
      )
      if (wanted.size === 0)
        entry.error = 'no version folder with a model.onnx matches the version policy'
      await Promise.all(
        [...wanted].map((version) =>
          this.#loadVersion(
            entry,
            version,
            found.config,
            `${found.versions.get(version)}:${found.configHash}`,
          ),
        ),
      )
      for (const version of entry.versions.keys()) {
        if (!wanted.has(version)) await this.#unloadVersion(entry, version)
      }
    })
  }

  async #loadVersion(entry: ModelEntry, version: number, config: ModelConfig, fingerprint: string) {
    const current = entry.versions.get(version)
    if (current?.fingerprint === fingerprint || current?.failedFingerprint === fingerprint) return
    const { metrics, logger } = this.options
    const labels = { model: entry.name, version: String(version) }
    const slot: VersionEntry = current ?? { version, state: 'LOADING', reason: '', fingerprint: '' }
    entry.versions.set(version, slot)
    if (!current?.model) setModelState(metrics, entry.name, labels.version, 'LOADING')
    const started = performance.now()
    const batchSize = metrics.batchSize.labels(labels)
    const computeDuration = metrics.computeDuration.labels(labels)
    const queueDuration = metrics.queueDuration.labels(labels)
    const queueDepth = metrics.queueDepth.labels(labels)
    try {
      const model = await ModelVersion.load({
        name: entry.name,
        version: labels.version,
        path: join(this.options.dir, entry.name, labels.version, 'model.onnx'),
        config,
        onBatch: ({ rows, queueSeconds, computeSeconds }) => {
          batchSize.observe(rows)
          computeDuration.observe(computeSeconds)
          for (const s of queueSeconds) queueDuration.observe(s)
        },
        onQueueDepth: (depth) => queueDepth.set(depth),
      })
      const seconds = (performance.now() - started) / 1000
      metrics.modelLoadDuration.observe(labels, seconds)
      metrics.modelLoads.inc({ model: entry.name, result: 'success' })
      const previous = slot.model
      Object.assign(slot, { state: 'READY', reason: '', fingerprint, model })
      delete slot.failedFingerprint
      setModelState(metrics, entry.name, labels.version, 'READY')
      logger.info({ ...labels, seconds, providers: model.executionProviders }, 'model ready')
      // The new session already takes requests; the old one finishes what it accepted.
      if (previous) await previous.release()
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      metrics.modelLoads.inc({ model: entry.name, result: 'failure' })
      slot.failedFingerprint = fingerprint
      if (slot.model) {
        slot.reason = `reload failed, still serving the previous load: ${reason}`
      } else {
        Object.assign(slot, { state: 'UNAVAILABLE', reason })
        setModelState(metrics, entry.name, labels.version, 'UNAVAILABLE')
      }
      logger.error({ ...labels, err: error }, 'model failed to load')
    }
  }

  async #unloadVersion(entry: ModelEntry, version: number) {
    const slot = entry.versions.get(version)
    if (!slot) return
    const label = String(version)
    slot.state = 'UNLOADING'
    setModelState(this.options.metrics, entry.name, label, 'UNLOADING')
    await slot.model?.release()
    entry.versions.delete(version)
    setModelState(this.options.metrics, entry.name, label, undefined)
    this.options.logger.info({ model: entry.name, version: label }, 'model unloaded')
  }

  /** Unloads every version; `forget` drops the model from the index too (it left the disk). */
  #retire(name: string, forget = true): Promise<void> {
    const entry = this.#models.get(name)
    if (!entry) return Promise.resolve()
    return this.#locked(entry, async () => {
      await Promise.all([...entry.versions.keys()].map((v) => this.#unloadVersion(entry, v)))
      if (forget) this.#models.delete(name)
    })
  }
}

type ModelDir =
  | { config: ModelConfig; configHash: string; versions: Map<number, string> }
  | { error: string }

/** Reads a model folder: its config and the `<version>/model.onnx` files with their size and mtime. */
async function readModelDir(dir: string): Promise<ModelDir> {
  let text = '{}'
  try {
    text = await readFile(join(dir, 'config.json'), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      return { error: `config.json: ${(error as Error).message}` }
  }
  let config: ModelConfig
  try {
    config = parseModelConfig(JSON.parse(text))
  } catch (error) {
    return {
      error: (error as Error).message.replace(/^(?!config\.json)/, 'config.json is invalid: '),
    }
  }
  const versions = new Map<number, string>()
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    if (!entry.isDirectory() || !VERSION_DIR.test(entry.name)) continue
    const file = await stat(join(dir, entry.name, 'model.onnx')).catch(() => undefined)
    if (file?.isFile()) versions.set(Number(entry.name), `${file.size}:${file.mtimeMs}`)
  }
  return {
    config,
    configHash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    versions,
  }
}
