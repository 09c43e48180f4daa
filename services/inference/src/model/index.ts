import type { Logger } from 'pino'
import { type BatchJob, type BatchTiming, DynamicBatcher } from '../batcher/index.ts'
import type { ModelConfig } from '../config/index.ts'
import { badRequest, InferenceError } from '../errors/index.ts'
import {
  type Feeds,
  type Instance,
  InstanceGroup,
  type TensorSpec,
  type WireTensor,
} from '../instances/index.ts'
import { ModelStatistics } from '../stats/index.ts'
import {
  allocate,
  DATATYPES,
  type Datatype,
  elementCount,
  type TensorData,
  type TensorValues,
} from '../tensor/index.ts'

export type { TensorSpec } from '../instances/index.ts'

export interface InferResult {
  outputs: TensorData[]
  queueSeconds: number
  computeSeconds: number
  batchRows: number
  /** When and where its batch ran. */
  timing: BatchTiming
}

export interface BatchStats {
  rows: number
  queueSeconds: number[]
  /** The session.run of the batch. */
  computeSeconds: number
  /** The instance that ran it. */
  instance: number
}

interface Job extends BatchJob {
  inputs: TensorData[]
  resolve: (result: InferResult) => void
  reject: (error: Error) => void
}

export interface LoadOptions {
  name: string
  version: string
  path: string
  config: ModelConfig
  onBatch?: (stats: BatchStats) => void
  onQueueDepth?: (depth: number) => void
  /** Told when an instance starts (true) and ends (false) a batch. */
  onInstanceBusy?: (instance: number, busy: boolean) => void
  /** Warned when an optional execution provider is not available and the version loads without it. */
  logger?: Logger
  /** Runs on CPU whatever config.json asks: the registry's gate scores a model's answers, not its speed. */
  onCpu?: boolean
}

/** One loaded, warmed-up version of a model: its instances, fed by its batch queue. */
export class ModelVersion {
  readonly inputs: TensorSpec[]
  readonly outputs: TensorSpec[]
  /** The effective max batch size: 0 when the graph has no dynamic batch dimension. */
  readonly maxBatchSize: number
  /** Triton's statistics extension: this load's requests and executions. */
  readonly statistics = new ModelStatistics()
  readonly #batcher: DynamicBatcher<Job>
  readonly #instances: InstanceGroup
  readonly #outputNames: string[]
  #pending = 0
  #batches = 0
  #drained: Array<() => void> = []
  readonly #onBatch: ((stats: BatchStats) => void) | undefined
  readonly #onInstanceBusy: ((instance: number, busy: boolean) => void) | undefined

  private constructor(
    readonly name: string,
    readonly version: string,
    readonly config: ModelConfig,
    instances: InstanceGroup,
    options: LoadOptions,
  ) {
    this.#instances = instances
    this.#onBatch = options.onBatch
    this.#onInstanceBusy = options.onInstanceBusy
    this.inputs = instances.info.inputs
    this.outputs = instances.info.outputs
    this.#outputNames = this.outputs.map((spec) => spec.name)
    const batchable = [...this.inputs, ...this.outputs].every((spec) => spec.shape[0] === -1)
    this.maxBatchSize = batchable ? config.max_batch_size : 0
    checkConfigAgainstGraph(config, this.inputs, this.outputs)
    this.#batcher = new DynamicBatcher<Job>({
      // Unbatched models still queue, one request per run, so queue limits apply to them too.
      maxBatchSize: Math.max(this.maxBatchSize, 1),
      maxQueueDelayMs: config.dynamic_batching.max_queue_delay_microseconds / 1000,
      maxQueueSize: config.dynamic_batching.max_queue_size,
      concurrency: instances.size,
      execute: (batch) => this.#execute(batch),
      ...(options.onQueueDepth ? { onDepthChange: options.onQueueDepth } : {}),
    })
  }

  /** Loads and warms up every instance (off the event loop when they run on threads). */
  static async load(options: LoadOptions): Promise<ModelVersion> {
    const instances = await InstanceGroup.load(options)
    for (const { provider, reason } of instances.info.dropped)
      options.logger?.warn({ provider, reason }, 'optional execution provider dropped')
    try {
      return new ModelVersion(options.name, options.version, options.config, instances, options)
    } catch (error) {
      await instances.close()
      throw error
    }
  }

  /** The providers the sessions run on: those configured, less optional ones not available. */
  get executionProviders(): string[] {
    return this.#instances.info.providers
  }

  /** Instances, and how many run a batch now. */
  get instances() {
    return {
      count: this.#instances.size,
      busy: this.#instances.busy,
      threaded: this.#instances.threaded,
    }
  }

  get queueDepth() {
    return this.#batcher.depth
  }

  /**
   * Checks the inputs against the model, then queues them for the next batch. Inputs are in any
   * order; missing, unknown or mis-shaped ones are a 400 naming the problem.
   */
  infer(inputs: TensorData[]): Promise<InferResult> {
    const ordered = this.#validate(inputs)
    const rows = this.maxBatchSize > 0 ? (ordered[0]?.shape[0] ?? 1) : 1
    if (this.maxBatchSize > 0 && rows === 0) throw badRequest('inputs have a batch size of 0')
    this.#pending++
    return new Promise<InferResult>((resolve, reject) => {
      this.#batcher.enqueue({
        rows,
        signature: ordered.map((t) => t.shape.slice(1).join('x')).join('|'),
        enqueuedAt: performance.now(),
        inputs: ordered,
        resolve,
        reject,
      })
    }).finally(() => this.#settle())
  }

  /**
   * Runs one request's `work` on this version, from the moment it chose the version: a reload or
   * unload releases the session only after it, even while its body is still being read.
   */
  async serve<T>(work: () => Promise<T>): Promise<T> {
    this.#pending++
    try {
      return await work()
    } finally {
      this.#settle()
    }
  }

  #settle() {
    if (--this.#pending === 0) for (const resolve of this.#drained.splice(0)) resolve()
  }

  /** Resolves when every accepted request has been answered. */
  async drain() {
    await this.#batcher.drain()
    if (this.#pending > 0) await new Promise<void>((resolve) => this.#drained.push(resolve))
  }

  async release() {
    await this.drain()
    await this.#instances.close()
  }

  #validate(inputs: TensorData[]): TensorData[] {
    const byName = new Map(inputs.map((t) => [t.name, t]))
    for (const name of byName.keys()) {
      if (!this.inputs.some((spec) => spec.name === name)) {
        throw badRequest(
          `unknown input '${name}'; model '${this.name}' has inputs ${this.inputs.map((s) => `'${s.name}'`).join(', ')}`,
        )
      }
    }
    let batch: number | undefined
    return this.inputs.map((spec) => {
      const tensor = byName.get(spec.name)
      if (!tensor) throw badRequest(`missing input '${spec.name}' for model '${this.name}'`)
      if (tensor.datatype !== spec.datatype) {
        throw badRequest(
          `input '${spec.name}' has datatype ${tensor.datatype}, model expects ${spec.datatype}`,
        )
      }
      const fits =
        tensor.shape.length === spec.shape.length &&
        spec.shape.every((dim, i) => dim === -1 || dim === tensor.shape[i])
      if (!fits) {
        throw badRequest(
          `input '${spec.name}' has shape [${tensor.shape.join(',')}], model expects [${spec.shape.join(',')}] (-1 is any size)`,
        )
      }
      if (this.maxBatchSize > 0) {
        const rows = tensor.shape[0] as number
        if (batch !== undefined && rows !== batch) {
          throw badRequest(
            `inputs disagree on batch size: '${spec.name}' has ${rows} rows, others ${batch}`,
          )
        }
        batch = rows
      }
      if (!this.config.allow_non_finite_inputs) checkFinite(tensor)
      return tensor
    })
  }

  async #execute(batch: Job[]): Promise<void> {
    const instance = this.#instances.acquire()
    this.#onInstanceBusy?.(instance.index, true)
    try {
      await this.#run(batch, instance)
    } catch (error) {
      // An instance that died (a 503) fails its batch as it is: the batch-mates are not to blame.
      if (error instanceof InferenceError || batch.length === 1)
        for (const job of batch) job.reject(executionError(error))
      // One bad request must not fail its batch-mates: retry each alone to find whose it was.
      else
        for (const job of batch)
          await this.#run([job], instance).catch((e) => job.reject(executionError(e)))
    } finally {
      this.#instances.release(instance)
      this.#onInstanceBusy?.(instance.index, false)
    }
  }

  async #run(batch: Job[], instance: Instance) {
    const started = performance.now()
    const batchId = ++this.#batches
    const rows = batch.reduce((sum, job) => sum + job.rows, 0)
    const feeds: Feeds = {}
    // Inputs concatenated for this batch are the batch's own: a worker may take their buffers.
    const built = new Set<string>()
    this.inputs.forEach((spec, i) => {
      const parts = batch.map((job) => job.inputs[i] as TensorData)
      const first = parts[0] as TensorData
      const dims = this.maxBatchSize > 0 ? [rows, ...first.shape.slice(1)] : first.shape
      if (parts.length > 1) built.add(spec.name)
      const data = parts.length === 1 ? first.data : concatValues(spec.datatype, parts)
      feeds[spec.name] = { type: DATATYPES[spec.datatype].ort, dims, data }
    })
    const {
      outputs: results,
      inferStartedAt,
      inferEndedAt,
    } = await instance.run(feeds, this.#outputNames, (name) => built.has(name))
    const computeSeconds = (inferEndedAt - inferStartedAt) / 1000
    const outputs = this.#outputNames.map((name) => results[name] as WireTensor)
    if (batch.length > 1 && outputs.some((t) => t.dims[0] !== rows)) {
      throw new Error('outputs are not aligned with the batch dimension')
    }
    const queueSeconds = batch.map((job) => (started - job.enqueuedAt) / 1000)
    let offset = 0
    const jobOutputs = batch.map((job) => {
      const sliced = this.outputs.map((spec, i) =>
        sliceRows(spec, outputs[i] as WireTensor, offset, job.rows, batch.length === 1),
      )
      offset += job.rows
      return sliced
    })
    const endedAt = performance.now()
    this.statistics.execution(
      rows,
      batch.map((job, j) => ({ rows: job.rows, queueMs: (queueSeconds[j] as number) * 1000 })),
      {
        inputMs: inferStartedAt - started,
        inferMs: inferEndedAt - inferStartedAt,
        outputMs: endedAt - inferEndedAt,
      },
    )
    this.#onBatch?.({ rows, queueSeconds, computeSeconds, instance: instance.index })
    const timing: BatchTiming = {
      batchId,
      batchSize: rows,
      instance: instance.index,
      startedAt: started,
      inferStartedAt,
      inferEndedAt,
      endedAt,
    }
    batch.forEach((job, j) => {
      job.timing = timing
      job.resolve({
        outputs: jobOutputs[j] as TensorData[],
        queueSeconds: queueSeconds[j] as number,
        computeSeconds,
        batchRows: rows,
        timing,
      })
    })
  }
}

function checkConfigAgainstGraph(config: ModelConfig, inputs: TensorSpec[], outputs: TensorSpec[]) {
  for (const [input, names] of Object.entries(config.features)) {
    const spec = inputs.find((s) => s.name === input)
    if (!spec) throw new Error(`config.json features name input '${input}', which the model lacks`)
    const width = spec.shape.at(-1)
    if (spec.shape.length !== 2 || (width !== -1 && width !== names.length)) {
      throw new Error(
        `config.json features: input '${input}' has shape [${spec.shape.join(',')}], not [batch, ${names.length}]`,
      )
    }
  }
  for (const [output, labels] of Object.entries(config.labels)) {
    const spec = outputs.find((s) => s.name === output)
    if (!spec) throw new Error(`config.json labels name output '${output}', which the model lacks`)
    const width = spec.shape.at(-1)
    if (width !== -1 && width !== labels.length) {
      throw new Error(
        `config.json labels: output '${output}' has ${width} classes, not ${labels.length}`,
      )
    }
  }
}

function checkFinite(tensor: TensorData) {
  if (tensor.datatype !== 'FP32' && tensor.datatype !== 'FP64') return
  const data = tensor.data as Float32Array | Float64Array
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i] as number)) {
      throw badRequest(
        `input '${tensor.name}' has ${data[i]} at element ${i}; only finite values are allowed`,
      )
    }
  }
}

function concatValues(datatype: Datatype, parts: TensorData[]): TensorValues {
  if (datatype === 'BYTES') return parts.flatMap((p) => p.data as string[])
  const out = allocate(
    datatype,
    parts.reduce((sum, p) => sum + p.data.length, 0),
  ) as Float32Array
  let offset = 0
  for (const part of parts) {
    out.set(part.data as Float32Array, offset)
    offset += part.data.length
  }
  return out
}

function sliceRows(
  spec: TensorSpec,
  tensor: WireTensor,
  offset: number,
  rows: number,
  whole: boolean,
): TensorData {
  const data = tensor.data as TensorValues
  if (whole) return { name: spec.name, datatype: spec.datatype, shape: [...tensor.dims], data }
  const width = elementCount(tensor.dims.slice(1))
  const start = offset * width
  const end = start + rows * width
  const part = Array.isArray(data) ? data.slice(start, end) : data.subarray(start, end)
  return {
    name: spec.name,
    datatype: spec.datatype,
    shape: [rows, ...tensor.dims.slice(1)],
    data: part as TensorValues,
  }
}

/**
 * A run that fails after the model warmed up and its batch-mates succeeded fails because of this
 * request's values (an index out of range, say): the client's mistake, so 400 with the reason.
 */
function executionError(error: unknown): Error {
  if (error instanceof InferenceError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new InferenceError(400, `inference failed: ${message}`)
}

export { predictionOf } from './prediction.ts'
