// Triton's statistics extension: per model version, cumulative counts and durations since the
// version loaded, in Triton's JSON shape so that tritonclient's get_inference_statistics reads it.
import { Hono } from 'hono'
import { InferenceError } from '../errors/index.ts'
import type { ModelVersion } from '../model/index.ts'

export interface DurationStat {
  count: number
  ns: number
}

export interface BatchStat {
  batch_size: number
  compute_input: DurationStat
  compute_infer: DurationStat
  compute_output: DurationStat
}

export interface ModelStat {
  name: string
  version: string
  /** Milliseconds since the epoch; 0 before the first request. */
  last_inference: number
  /** Rows (batch items) of successful executions, not requests. */
  inference_count: number
  /** Model executions: one per batch the dynamic batcher ran. */
  execution_count: number
  inference_stats: {
    success: DurationStat
    fail: DurationStat
    queue: DurationStat
    compute_input: DurationStat
    compute_infer: DurationStat
    compute_output: DurationStat
    cache_hit: DurationStat
    cache_miss: DurationStat
  }
  batch_stats: BatchStat[]
}

/** The three phases of one model execution, in milliseconds (performance.now() differences). */
export interface ExecutionTimes {
  inputMs: number
  inferMs: number
  outputMs: number
}

const duration = (): DurationStat => ({ count: 0, ns: 0 })
const add = (stat: DurationStat, ms: number) => {
  stat.count++
  stat.ns += Math.round(ms * 1e6)
}

/** One model version's statistics: what its requests and executions add up to. */
export class ModelStatistics {
  #lastInference = 0
  #inferenceCount = 0
  #executionCount = 0
  readonly #requests = {
    success: duration(),
    fail: duration(),
    queue: duration(),
    compute_input: duration(),
    compute_infer: duration(),
    compute_output: duration(),
  }
  // Keyed by batch size, which max_batch_size bounds.
  readonly #batches = new Map<number, BatchStat>()

  /** A request that reached this version, answered or failed, with its time in the server. */
  request(ok: boolean, ms: number, now = Date.now()) {
    add(ok ? this.#requests.success : this.#requests.fail, ms)
    this.#lastInference = now
  }

  /**
   * One execution of `rows` rows for the requests batched into it: each request is charged its own
   * wait in the queue and, as in Triton, the whole execution's compute times.
   */
  execution(
    rows: number,
    requests: ReadonlyArray<{ rows: number; queueMs: number }>,
    times: ExecutionTimes,
  ) {
    this.#executionCount++
    let batch = this.#batches.get(rows)
    if (!batch) {
      batch = {
        batch_size: rows,
        compute_input: duration(),
        compute_infer: duration(),
        compute_output: duration(),
      }
      this.#batches.set(rows, batch)
    }
    add(batch.compute_input, times.inputMs)
    add(batch.compute_infer, times.inferMs)
    add(batch.compute_output, times.outputMs)
    for (const request of requests) {
      this.#inferenceCount += request.rows
      add(this.#requests.queue, request.queueMs)
      add(this.#requests.compute_input, times.inputMs)
      add(this.#requests.compute_infer, times.inferMs)
      add(this.#requests.compute_output, times.outputMs)
    }
  }

  snapshot(name: string, version: string): ModelStat {
    const copy = (stat: DurationStat) => ({ ...stat })
    return {
      name,
      version,
      last_inference: this.#lastInference,
      inference_count: this.#inferenceCount,
      execution_count: this.#executionCount,
      inference_stats: {
        success: copy(this.#requests.success),
        fail: copy(this.#requests.fail),
        queue: copy(this.#requests.queue),
        compute_input: copy(this.#requests.compute_input),
        compute_infer: copy(this.#requests.compute_infer),
        compute_output: copy(this.#requests.compute_output),
        // No response cache: present because clients read them.
        cache_hit: duration(),
        cache_miss: duration(),
      },
      batch_stats: [...this.#batches.values()]
        .sort((a, b) => a.batch_size - b.batch_size)
        .map((b) => ({
          batch_size: b.batch_size,
          compute_input: copy(b.compute_input),
          compute_infer: copy(b.compute_infer),
          compute_output: copy(b.compute_output),
        })),
    }
  }
}

/** What the routes need from the repository: its model names and their ready versions. */
export interface StatisticsSource {
  index(): ReadonlyArray<{ name: string }>
  readyVersions(name: string): ModelVersion[]
}

/**
 * `GET /v2/models[/{m}[/versions/{v}]]/stats`: the ready versions' statistics. A model or version
 * that is not ready is a 400 with Triton's wording, as Triton answers.
 */
export function statisticsRoutes(source: StatisticsSource) {
  const app = new Hono()
  const stat = (model: ModelVersion) => model.statistics.snapshot(model.name, model.version)
  const ready = (name: string) => {
    const versions = source.readyVersions(name)
    if (versions.length === 0)
      throw new InferenceError(400, `requested model '${name}' is not available`)
    return versions
  }
  // Oldest version first, as Triton lists them.
  const byVersion = (a: ModelVersion, b: ModelVersion) => Number(a.version) - Number(b.version)

  // `/v2/models/stats` as a case of `/v2/models/:name`, handing any other name on to the model
  // metadata route: a static route beside `/v2/models/:name/stats` drops hono from its
  // RegExpRouter to its trie router, which then costs every inference request.
  app.get('/v2/models/:name', (c, next) => {
    if (c.req.param('name') !== 'stats') return next()
    const names = [...new Set(source.index().map((row) => row.name))]
    const models = names.flatMap((name) => source.readyVersions(name).sort(byVersion))
    return c.json({ model_stats: models.map(stat) })
  })
  app.get('/v2/models/:name/stats', (c) => {
    const models = ready(c.req.param('name')).sort(byVersion)
    return c.json({ model_stats: models.map(stat) })
  })
  app.get('/v2/models/:name/versions/:version/stats', (c) => {
    const { name, version } = c.req.param()
    const model = ready(name).find((m) => m.version === version)
    if (!model)
      throw new InferenceError(400, `requested model version is not available for model '${name}'`)
    return c.json({ model_stats: [stat(model)] })
  })
  return app
}
