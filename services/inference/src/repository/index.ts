import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { Logger } from 'pino'
import { Poller } from '../../../shared/poll/index.ts'
import { type ModelConfig, parseModelConfig, selectVersions } from '../config/index.ts'
import { badRequest, notFound, unavailable } from '../errors/index.ts'
import { type InferenceMetrics, type ModelState, setModelState } from '../metrics/index.ts'
import { ModelVersion } from '../model/index.ts'

export {
  MODEL_CONTROL_MODES,
  type ModelControl,
  type RepositoryApiOptions,
  repositoryRoutes,
} from './routes.ts'

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
  /** Each version's fingerprint at the last scan: files still changing are not loaded yet. */
  seen: Map<number, string>
  /** Syncs of one model run one after another. */
  lock: Promise<unknown>
}

/** The reason a version the policy or the disk dropped is still listed READY. */
const HELD = 'kept serving until a version the policy selects is ready'

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
  #poller: Poller | undefined

  constructor(readonly options: RepositoryOptions) {}

  /**
   * Loads every model found on disk; models that fail are reported, the others serve. What is on
   * disk at start-up is taken as complete: only polling waits for files to settle.
   */
  async loadAll() {
    await Promise.all((await this.#modelNames()).map((name) => this.#sync(name, true)))
  }

  /** Polls the disk every `intervalMs` from now until `close()`; one loop, however often called. */
  startPolling(intervalMs: number) {
    this.#poller ??= new Poller(() => this.poll(), {
      intervalMs,
      onError: (error) => this.options.logger.error({ err: error }, 'poll failed'),
    })
    this.#poller.start()
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

  /**
   * Repository API load: (re)reads the model from disk, its files taken as complete. Fails with the
   * reason, as Triton does, when no version is ready or a version it selects failed to load; a
   * version that was serving goes on serving either way.
   */
  async load(name: string) {
    if (!(await this.#modelNames()).includes(name)) {
      throw notFound(`model '${name}' is not in the repository`)
    }
    const entry = this.#entry(name)
    entry.unloaded = false
    await this.#sync(name, true)
    const failed = [...entry.versions.values()].filter(
      (v) => v.failedFingerprint !== undefined && v.failedFingerprint === entry.seen.get(v.version),
    )
    if (this.readyVersions(name).length === 0 || failed.length > 0 || entry.error) {
      throw badRequest(`failed to load model '${name}': ${this.#why(entry, failed)}`)
    }
  }

  /**
   * Brings these models in step with their folders now, taking the files as complete (the
   * registry follower writes each version whole) and loading again those unloaded through the
   * repository API: the registry, not a caller, says what serves.
   */
  async reload(names: readonly string[]) {
    const onDisk = new Set(await this.#modelNames())
    await Promise.all(
      names.map((name) => {
        if (!onDisk.has(name)) return this.#retire(name)
        const entry = this.#entry(name)
        if (entry.unloaded) this.options.logger.warn({ model: name }, 'unloaded model reloaded')
        entry.unloaded = false
        return this.#sync(name, true)
      }),
    )
  }

  async unload(name: string) {
    const entry = this.#models.get(name)
    if (!entry) throw notFound(`unknown model '${name}'`)
    entry.unloaded = true
    await this.#retire(name, false)
  }

  /** Stops polling and waits for every accepted request, then releases the sessions. */
  async close() {
    await this.#poller?.stop()
    await Promise.all([...this.#models.keys()].map((name) => this.#retire(name)))
  }

  #why(entry: ModelEntry, versions = [...entry.versions.values()]): string {
    if (entry.unloaded) return 'unloaded'
    if (entry.error) return entry.error
    const reasons = versions.map(
      (v) => `version ${v.version} ${v.state}${v.reason ? `: ${v.reason}` : ''}`,
    )
    return reasons.join('; ') || 'no versions'
  }

  #entry(name: string): ModelEntry {
    let entry = this.#models.get(name)
    if (!entry) {
      entry = {
        name,
        versions: new Map(),
        unloaded: false,
        seen: new Map(),
        lock: Promise.resolve(),
      }
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

  /**
   * Brings one model in step with its folder. `complete` takes the files as whole; otherwise a
   * version whose files changed since the last scan waits for the next one (a copy under way).
   * The policy chooses among the versions that serve or may serve: one still being written, or
   * that failed to load as its files are now, never displaces a version that serves.
   */
  #sync(name: string, complete = false): Promise<void> {
    const entry = this.#entry(name)
    return this.#locked(entry, async () => {
      const found = await readModelDir(join(this.options.dir, name))
      if ('error' in found) {
        // A broken config.json keeps the versions already serving; said once, not every poll.
        if (entry.error !== found.error) {
          this.options.logger.error(
            { model: name, reason: found.error },
            'model config unusable; what was loaded goes on serving',
          )
        }
        entry.error = found.error
        return
      }
      delete entry.error
      const previous = entry.seen
      const fingerprints = new Map(
        [...found.versions].map(([v, files]) => [v, `${files}:${found.configHash}`]),
      )
      entry.seen = fingerprints
      const settled = (v: number) => complete || previous.get(v) === fingerprints.get(v)
      const slot = (v: number) => entry.versions.get(v)
      const failed = (v: number) => slot(v)?.failedFingerprint === fingerprints.get(v)
      const serving = (v: number) => slot(v)?.model !== undefined
      const candidates = () =>
        [...fingerprints.keys()].filter((v) => serving(v) || (settled(v) && !failed(v)))
      const toLoad = (v: number) =>
        settled(v) && !failed(v) && slot(v)?.fingerprint !== fingerprints.get(v)

      // A selected version that fails drops out of the candidates: select again, down the list.
      let wanted: number[]
      for (;;) {
        wanted = selectVersions(found.config.version_policy, candidates())
        const loads = wanted.filter(toLoad)
        if (loads.length === 0) break
        await Promise.all(
          loads.map((v) =>
            this.#loadVersion(entry, v, found.config, fingerprints.get(v) as string),
          ),
        )
      }
      const versions = [...fingerprints.keys()]
      const broken = versions.some((v) => !serving(v) && failed(v))
      const settling = versions.some((v) => !serving(v) && !settled(v))
      if (wanted.length === 0 && !broken) {
        entry.error = settling
          ? 'waiting for its files to stop changing'
          : 'no version folder with a model.onnx matches the version policy'
      }
      // Until a selected version is ready, those serving go on, though the policy or the disk
      // dropped them, while a version settles or has failed: a model never goes dark for it.
      const hold = !wanted.some((v) => slot(v)?.state === 'READY') && (broken || settling)
      for (const [version, current] of entry.versions) {
        if (wanted.includes(version)) {
          if (current.reason === HELD) current.reason = ''
        } else if (!current.model) {
          // A failed version stays listed with its reason until its files are gone or replaced.
          if (!fingerprints.has(version) || (settled(version) && !failed(version)))
            await this.#unloadVersion(entry, version)
        } else if (hold) {
          current.reason = HELD
        } else {
          await this.#unloadVersion(entry, version)
        }
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
    if (!slot.model) {
      Object.assign(slot, { state: 'LOADING', reason: '' })
      setModelState(metrics, entry.name, labels.version, 'LOADING')
    }
    const started = performance.now()
    const batchSize = metrics.batchSize.labels(labels)
    const computeDuration = metrics.computeDuration.labels(labels)
    const queueDuration = metrics.queueDuration.labels(labels)
    const queueDepth = metrics.queueDepth.labels(labels)
    const instanceMetrics = (instance: number) => {
      const bound = { ...labels, instance: String(instance) }
      return {
        runs: metrics.instanceExecutions.labels(bound),
        busy: metrics.instanceBusy.labels(bound),
      }
    }
    const instances: Array<ReturnType<typeof instanceMetrics>> = []
    const instanceOf = (i: number) => (instances[i] ??= instanceMetrics(i))
    try {
      const model = await ModelVersion.load({
        name: entry.name,
        version: labels.version,
        path: join(this.options.dir, entry.name, labels.version, 'model.onnx'),
        config,
        logger: logger.child(labels),
        onBatch: ({ rows, queueSeconds, computeSeconds, instance }) => {
          batchSize.observe(rows)
          computeDuration.observe(computeSeconds)
          for (const s of queueSeconds) queueDuration.observe(s)
          instanceOf(instance).runs.inc()
        },
        onQueueDepth: (depth) => queueDepth.set(depth),
        onInstanceBusy: (instance, busy) => instanceOf(instance).busy.set(busy ? 1 : 0),
      })
      const seconds = (performance.now() - started) / 1000
      metrics.modelLoadDuration.observe(labels, seconds)
      metrics.modelLoads.inc({ model: entry.name, result: 'success' })
      const previous = slot.model
      Object.assign(slot, { state: 'READY', reason: '', fingerprint, model })
      delete slot.failedFingerprint
      setModelState(metrics, entry.name, labels.version, 'READY')
      logger.info(
        { ...labels, seconds, providers: model.executionProviders, instances: model.instances },
        'model ready',
      )
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
      logger.error({ ...labels, reason }, 'model version failed to load')
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

/** Reads a model folder: its config, and each version folder holding a model.onnx by fingerprint. */
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
    const files = await versionFiles(join(dir, entry.name))
    if (files?.some((f) => f.startsWith('model.onnx:')))
      versions.set(Number(entry.name), files.join('\n'))
  }
  return {
    config,
    configHash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    versions,
  }
}

/**
 * A version folder's fingerprint: every file in it (external weights too) with its size and mtime,
 * so any change means a reload, and a file still being written shows as a change.
 */
async function versionFiles(dir: string): Promise<string[] | undefined> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(
    () => undefined,
  )
  if (!entries) return undefined
  const files: string[] = []
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const file = await stat(path).catch(() => undefined)
    if (file) files.push(`${relative(dir, path)}:${file.size}:${file.mtimeMs}`)
  }
  return files.sort()
}
