import ort from 'onnxruntime-node'
import type { Logger } from 'pino'
import { DynamicBatcher } from '../batcher/index.ts'
import type { ExecutionProvider, ModelConfig } from '../config/index.ts'
import { badRequest, InferenceError } from '../errors/index.ts'
import { ModelStatistics } from '../stats/index.ts'
import {
  allocate,
  DATATYPES,
  type Datatype,
  datatypeOfOrt,
  elementCount,
  type TensorData,
  type TensorValues,
} from '../tensor/index.ts'

/** An input or output as the model declares it; -1 marks a dynamic dimension. */
export interface TensorSpec {
  name: string
  datatype: Datatype
  shape: number[]
}

export interface InferResult {
  outputs: TensorData[]
  queueSeconds: number
  computeSeconds: number
  batchRows: number
}

export interface BatchStats {
  rows: number
  queueSeconds: number[]
  /** The session.run of the batch. */
  computeSeconds: number
}

interface Job {
  rows: number
  signature: string
  enqueuedAt: number
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
  /** Warned when an optional execution provider is not available and the version loads without it. */
  logger?: Logger
  /** Runs on CPU whatever config.json asks: the registry's gate scores a model's answers, not its speed. */
  onCpu?: boolean
}

/** One loaded, warmed-up version of a model, with its batch queue. */
export class ModelVersion {
  readonly inputs: TensorSpec[]
  readonly outputs: TensorSpec[]
  /** The effective max batch size: 0 when the graph has no dynamic batch dimension. */
  readonly maxBatchSize: number
  /** Triton's statistics extension: this load's requests and executions. */
  readonly statistics = new ModelStatistics()
  readonly #batcher: DynamicBatcher<Job>
  #pending = 0
  #drained: Array<() => void> = []
  readonly #onBatch: ((stats: BatchStats) => void) | undefined

  private constructor(
    readonly name: string,
    readonly version: string,
    readonly config: ModelConfig,
    /** The providers the session runs on: those configured, less optional ones not available. */
    readonly executionProviders: string[],
    readonly session: ort.InferenceSession,
    onBatch?: (stats: BatchStats) => void,
    onQueueDepth?: (depth: number) => void,
  ) {
    this.#onBatch = onBatch
    this.inputs = session.inputMetadata.map((m) => toSpec(m, 'input'))
    this.outputs = session.outputMetadata.map((m) => toSpec(m, 'output'))
    const batchable = [...this.inputs, ...this.outputs].every((spec) => spec.shape[0] === -1)
    this.maxBatchSize = batchable ? config.max_batch_size : 0
    checkConfigAgainstGraph(config, this.inputs, this.outputs)
    this.#batcher = new DynamicBatcher<Job>({
      // Unbatched models still queue, one request per run, so queue limits apply to them too.
      maxBatchSize: Math.max(this.maxBatchSize, 1),
      maxQueueDelayMs: config.dynamic_batching.max_queue_delay_microseconds / 1000,
      maxQueueSize: config.dynamic_batching.max_queue_size,
      execute: (batch) => this.#execute(batch),
      ...(onQueueDepth ? { onDepthChange: onQueueDepth } : {}),
    })
  }

  static async load(options: LoadOptions): Promise<ModelVersion> {
    const { session, providers } = await createSession(
      options.path,
      options.onCpu ? { ...options.config, execution_providers: [CPU] } : options.config,
      options.logger,
    )
    try {
      const model = new ModelVersion(
        options.name,
        options.version,
        options.config,
        providers,
        session,
        options.onBatch,
        options.onQueueDepth,
      )
      await model.#warmUp()
      return model
    } catch (error) {
      await session.release()
      throw error
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
    await this.session.release()
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
    try {
      await this.#run(batch)
    } catch (error) {
      // One bad request must not fail its batch-mates: retry each alone to find whose it was.
      if (batch.length === 1) batch[0]?.reject(executionError(error))
      else
        for (const job of batch) await this.#run([job]).catch((e) => job.reject(executionError(e)))
    }
  }

  async #run(batch: Job[]) {
    const started = performance.now()
    const rows = batch.reduce((sum, job) => sum + job.rows, 0)
    const feeds: Record<string, ort.Tensor> = {}
    this.inputs.forEach((spec, i) => {
      const parts = batch.map((job) => job.inputs[i] as TensorData)
      const first = parts[0] as TensorData
      const shape = this.maxBatchSize > 0 ? [rows, ...first.shape.slice(1)] : first.shape
      const data = parts.length === 1 ? first.data : concatValues(spec.datatype, parts)
      feeds[spec.name] = new ort.Tensor(DATATYPES[spec.datatype].ort, data as never, shape)
    })
    const inferStarted = performance.now()
    const results = await this.session.run(feeds)
    const inferEnded = performance.now()
    const computeSeconds = (inferEnded - inferStarted) / 1000
    const outputs = this.outputs.map((spec) => results[spec.name] as ort.Tensor)
    if (batch.length > 1 && outputs.some((t) => t.dims[0] !== rows)) {
      throw new Error('outputs are not aligned with the batch dimension')
    }
    const queueSeconds = batch.map((job) => (started - job.enqueuedAt) / 1000)
    let offset = 0
    const jobOutputs = batch.map((job) => {
      const sliced = this.outputs.map((spec, i) =>
        sliceRows(spec, outputs[i] as ort.Tensor, offset, job.rows, batch.length === 1),
      )
      offset += job.rows
      return sliced
    })
    this.statistics.execution(
      rows,
      batch.map((job, j) => ({ rows: job.rows, queueMs: (queueSeconds[j] as number) * 1000 })),
      {
        inputMs: inferStarted - started,
        inferMs: inferEnded - inferStarted,
        outputMs: performance.now() - inferEnded,
      },
    )
    this.#onBatch?.({ rows, queueSeconds, computeSeconds })
    batch.forEach((job, j) => {
      job.resolve({
        outputs: jobOutputs[j] as TensorData[],
        queueSeconds: queueSeconds[j] as number,
        computeSeconds,
        batchRows: rows,
      })
    })
  }

  async #warmUp() {
    const feeds: Record<string, ort.Tensor> = {}
    for (const spec of this.inputs) {
      const shape = spec.shape.map((d) => (d === -1 ? 1 : d))
      const data = allocate(spec.datatype, elementCount(shape))
      if (Array.isArray(data)) data.fill('')
      feeds[spec.name] = new ort.Tensor(DATATYPES[spec.datatype].ort, data as never, shape)
    }
    try {
      await this.session.run(feeds)
    } catch (error) {
      throw new Error(`warm-up run failed: ${(error as Error).message}`)
    }
  }
}

function toSpec(meta: ort.InferenceSession.ValueMetadata, kind: string): TensorSpec {
  if (!meta.isTensor) throw new Error(`${kind} '${meta.name}' is not a tensor`)
  const datatype = datatypeOfOrt(meta.type)
  if (!datatype) throw new Error(`${kind} '${meta.name}' has unsupported type ${meta.type}`)
  return {
    name: meta.name,
    datatype,
    shape: meta.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1)),
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

const CPU: ExecutionProvider = { name: 'cpu', optional: false }

/**
 * Opens the session on the configured providers and says which are active. A provider that is
 * not active makes the load fail naming it, or, when the config marks it optional, is dropped with
 * a warning: never a silent CPU fallback on a GPU node (onnxruntime-common itself drops a provider
 * its build lacks with only a console line).
 */
async function createSession(
  path: string,
  config: ModelConfig,
  logger: Logger | undefined,
): Promise<{ session: ort.InferenceSession; providers: string[] }> {
  const built = new Set(ort.listSupportedBackends().map((backend) => backend.name))
  const providers: ExecutionProvider[] = []
  for (const provider of config.execution_providers) {
    if (built.has(provider.name)) providers.push(provider)
    else
      unavailable(provider, `this onnxruntime-node build has only ${[...built].join(', ')}`, logger)
  }
  return openSession(path, config, providers, logger)
}

async function openSession(
  path: string,
  config: ModelConfig,
  providers: ExecutionProvider[],
  logger: Logger | undefined,
): Promise<{ session: ort.InferenceSession; providers: string[] }> {
  const names = (providers.length ? providers : [CPU]).map((p) => p.name)
  try {
    const session = await ort.InferenceSession.create(path, {
      executionProviders: names,
      graphOptimizationLevel: 'all',
      // Failures reach the client and the service log; onnxruntime's own stderr lines would repeat them.
      logSeverityLevel: 4,
      // Spinning threads keep a core busy between runs, starving the HTTP work of the event loop.
      extra: { session: { intra_op: { allow_spinning: config.intra_op_spinning ? '1' : '0' } } },
      ...(config.intra_op_threads === undefined
        ? {}
        : { intraOpNumThreads: config.intra_op_threads }),
    })
    return { session, providers: names }
  } catch (error) {
    const accelerator = providers.find((p) => p.name !== 'cpu')
    if (!accelerator) throw error
    // Without the accelerator, a model that loads shows the accelerator was what failed (its
    // libraries, CUDA or cuDNN, or the device); one that still fails has its own error.
    const rest = await openSession(
      path,
      config,
      providers.filter((p) => p !== accelerator),
      logger,
    )
    if (!accelerator.optional) await rest.session.release()
    unavailable(accelerator, (error as Error).message, logger)
    return rest
  }
}

/** A provider that cannot be active: the load fails, or an optional one is dropped with a warning. */
function unavailable(provider: ExecutionProvider, why: string, logger: Logger | undefined) {
  const reason = `execution provider '${provider.name}' is not available: ${why.trim()}`
  if (!provider.optional) {
    throw new Error(
      `${reason} (list it as {"name": "${provider.name}", "optional": true} in config.json to serve without it)`,
    )
  }
  logger?.warn({ provider: provider.name, reason }, 'optional execution provider dropped')
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
  tensor: ort.Tensor,
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
  const message = error instanceof Error ? error.message : String(error)
  return new InferenceError(400, `inference failed: ${message}`)
}

export { predictionOf } from './prediction.ts'
