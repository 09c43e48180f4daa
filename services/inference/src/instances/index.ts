import { availableParallelism } from 'node:os'
import {
  type ExecutionProvider,
  GPU_PROVIDERS,
  type InstanceGroup as InstanceGroupConfig,
  type ModelConfig,
} from '../config/index.ts'
import type { Instance } from './instance.ts'
import { LocalInstance } from './local.ts'
import { WorkerInstance } from './remote.ts'
import { modelBytes, type SessionInfo, type SessionOptions, sessionOptions } from './session.ts'

export type { Instance, RunOutcome } from './instance.ts'
export type { DroppedProvider, Feeds, TensorSpec, WireTensor } from './session.ts'

/**
 * A single CPU instance of a model this small (all its files) runs on the main thread: its load
 * and its runs take well under a millisecond, less than a hop to a thread and back (see the
 * README's instance groups for the measurement). Anything bigger, or more than one instance, gets
 * threads.
 */
export const IN_PROCESS_MAX_BYTES = 1024 * 1024

export interface GroupOptions {
  name: string
  version: string
  path: string
  config: ModelConfig
  /** One CPU instance whatever config.json asks: the registry's gate scores answers, not speed. */
  onCpu?: boolean
}

const CPU: ExecutionProvider = { name: 'cpu', optional: false }

/**
 * A model version's instances (Triton's instance group): `acquire()` hands out a free one for a
 * batch. Workers that die are replaced; their batch fails with a 503.
 */
export class InstanceGroup {
  readonly #instances: Instance[]
  readonly #free: number[]
  /** Starts a worker instance in a slot: a replacement for one that died. */
  readonly #start: ((index: number) => WorkerInstance) | undefined
  #closed = false

  private constructor(
    instances: Instance[],
    /** The signature and providers, as every instance loaded them. */
    readonly info: SessionInfo,
    /** Whether the instances run on worker threads. */
    readonly threaded: boolean,
    start?: (index: number) => WorkerInstance,
  ) {
    this.#start = start
    this.#instances = instances
    this.#free = instances.map((_, i) => i).reverse()
  }

  /** Loads every instance (on its thread when it has one); fails with the first load error. */
  static async load(options: GroupOptions): Promise<InstanceGroup> {
    const { config, path } = options
    const groups: InstanceGroupConfig[] = options.onCpu
      ? [{ count: 1, kind: 'KIND_CPU' }]
      : config.instance_group
    const kinds = groups.flatMap((g) => Array.from({ length: g.count }, () => g.kind))
    // Instances share the cores: without intra_op_threads each gets its share of them.
    const shared =
      kinds.length > 1 && config.intra_op_threads === undefined
        ? {
            ...config,
            intra_op_threads: Math.max(1, Math.floor(availableParallelism() / kinds.length)),
          }
        : config
    // A KIND_GPU instance tries every provider listed and fails unless a GPU one is active, with
    // the reasons of those that were not: the same error whether or not they are marked optional.
    const gpu = config.execution_providers.map((p) => ({ ...p, optional: true }))
    const sessions = kinds.map((kind) =>
      kind === 'KIND_GPU'
        ? sessionOptions(path, shared, gpu, GPU_PROVIDERS)
        : sessionOptions(path, shared, kind === 'KIND_CPU' ? [CPU] : config.execution_providers),
    )
    const only = sessions.length === 1 ? sessions[0] : undefined
    if (only && onCpuOnly(only) && (await modelBytes(path)) <= IN_PROCESS_MAX_BYTES) {
      const { instance, info } = await LocalInstance.load(only)
      return new InstanceGroup([instance], info, false)
    }
    const label = `model '${options.name}' version ${options.version}`
    let group: InstanceGroup | undefined
    const start = (index: number) =>
      new WorkerInstance(index, { session: sessions[index] as SessionOptions }, label, (dead) => {
        if (group) group.#replace(dead)
      })
    const workers = sessions.map((_, index) => start(index))
    const loads = await Promise.allSettled(workers.map((w) => w.ready))
    const failed = loads.find((l) => l.status === 'rejected')
    if (failed) {
      await Promise.all(workers.map((w) => w.close()))
      throw failed.reason
    }
    const info = (loads[0] as PromiseFulfilledResult<SessionInfo>).value
    group = new InstanceGroup(workers, info, true, start)
    return group
  }

  #replace(dead: WorkerInstance) {
    if (this.#closed || !this.#start) return
    this.#instances[dead.index] = this.#start(dead.index)
  }

  get size() {
    return this.#instances.length
  }

  /** Instances running a batch now. */
  get busy() {
    return this.#instances.length - this.#free.length
  }

  /** A free instance. The batcher runs at most `size` batches at once, so there always is one. */
  acquire(): Instance {
    const index = this.#free.pop()
    if (index === undefined) throw new Error('every instance is busy')
    return this.#instances[index] as Instance
  }

  release(instance: Instance) {
    this.#free.push(instance.index)
  }

  /** Releases every session and ends every thread; call once nothing runs. */
  async close() {
    this.#closed = true
    await Promise.all(this.#instances.map((i) => i.close()))
  }
}

const onCpuOnly = (options: SessionOptions) => options.providers.every((p) => p.name === 'cpu')
