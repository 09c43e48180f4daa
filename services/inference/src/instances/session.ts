import { readdir, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import ort from 'onnxruntime-node'
import type { ExecutionProvider, ModelConfig } from '../config/index.ts'
import {
  allocate,
  DATATYPES,
  type Datatype,
  datatypeOfOrt,
  elementCount,
  type TensorValues,
} from '../tensor/index.ts'

/** An input or output as the model declares it; -1 marks a dynamic dimension. */
export interface TensorSpec {
  name: string
  datatype: Datatype
  shape: number[]
}

/** A tensor as it crosses between threads: plain data, its buffer transferable. */
export interface WireTensor {
  type: ort.Tensor.Type
  dims: readonly number[]
  data: TensorValues
}

export type Feeds = Record<string, WireTensor>

/** What a session needs: cloneable, so a worker thread can be given it. */
export interface SessionOptions {
  path: string
  providers: ExecutionProvider[]
  intraOpThreads: number | undefined
  intraOpSpinning: boolean
  /** The load fails unless one of these providers is active (a KIND_GPU instance). */
  requireOneOf?: readonly string[]
}

/** An optional provider the session runs without, and why. */
export interface DroppedProvider {
  provider: string
  reason: string
}

export interface SessionInfo {
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  /** The providers the session runs on: those asked for, less optional ones not available. */
  providers: string[]
  dropped: DroppedProvider[]
}

export interface LoadedSession extends SessionInfo {
  session: ort.InferenceSession
}

export const sessionOptions = (
  path: string,
  config: ModelConfig,
  providers: ExecutionProvider[],
  requireOneOf?: readonly string[],
): SessionOptions => ({
  path,
  providers,
  intraOpThreads: config.intra_op_threads,
  intraOpSpinning: config.intra_op_spinning,
  ...(requireOneOf ? { requireOneOf } : {}),
})

/** Opens the session, reads its signature and warms it up: a session is ready only after a run. */
export async function loadSession(options: SessionOptions): Promise<LoadedSession> {
  const dropped: DroppedProvider[] = []
  const { session, providers } = await createSession(options, dropped)
  try {
    const missing = options.requireOneOf?.every((name) => !providers.includes(name))
    if (missing) {
      const why = dropped.map((d) => d.reason).join('; ')
      throw new Error(
        `instance_group kind KIND_GPU needs ${options.requireOneOf?.join(' or ')} active${why ? `: ${why}` : ''}`,
      )
    }
    const inputs = session.inputMetadata.map((m) => toSpec(m, 'input'))
    const outputs = session.outputMetadata.map((m) => toSpec(m, 'output'))
    await warmUp(session, inputs)
    return { session, inputs, outputs, providers, dropped }
  } catch (error) {
    await session.release()
    throw error
  }
}

/** Runs feeds given as plain tensors and answers the outputs `names` asks for as plain tensors. */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Feeds,
  names: readonly string[],
): Promise<Feeds> {
  const tensors: Record<string, ort.Tensor> = {}
  for (const [name, t] of Object.entries(feeds))
    tensors[name] = new ort.Tensor(t.type, t.data as never, t.dims)
  const results = await session.run(tensors)
  const outputs: Feeds = {}
  for (const name of names) {
    const t = results[name] as ort.Tensor
    outputs[name] = { type: t.type, dims: t.dims, data: t.data as TensorValues }
  }
  return outputs
}

/** Bytes of the files beside a model (external weights too): what its load and runs scale with. */
export async function modelBytes(path: string): Promise<number> {
  const dir = dirname(path)
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  const sizes = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map((e) => stat(join(e.parentPath, e.name)).then((s) => s.size)),
  )
  return sizes.reduce((sum, size) => sum + size, 0)
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

async function warmUp(session: ort.InferenceSession, inputs: TensorSpec[]) {
  const feeds: Record<string, ort.Tensor> = {}
  for (const spec of inputs) {
    const shape = spec.shape.map((d) => (d === -1 ? 1 : d))
    const data = allocate(spec.datatype, elementCount(shape))
    if (Array.isArray(data)) data.fill('')
    feeds[spec.name] = new ort.Tensor(DATATYPES[spec.datatype].ort, data as never, shape)
  }
  try {
    await session.run(feeds)
  } catch (error) {
    throw new Error(`warm-up run failed: ${(error as Error).message}`)
  }
}

const CPU: ExecutionProvider = { name: 'cpu', optional: false }

/**
 * Opens the session on the configured providers and says which are active. A provider that is
 * not active makes the load fail naming it, or, when the config marks it optional, is dropped and
 * reported: never a silent CPU fallback on a GPU node (onnxruntime-common itself drops a provider
 * its build lacks with only a console line).
 */
async function createSession(
  options: SessionOptions,
  dropped: DroppedProvider[],
): Promise<{ session: ort.InferenceSession; providers: string[] }> {
  const built = new Set(ort.listSupportedBackends().map((backend) => backend.name))
  const providers: ExecutionProvider[] = []
  for (const provider of options.providers) {
    if (built.has(provider.name)) providers.push(provider)
    else
      unavailable(
        provider,
        `this onnxruntime-node build has only ${[...built].join(', ')}`,
        dropped,
      )
  }
  return openSession(options, providers, dropped)
}

async function openSession(
  options: SessionOptions,
  providers: ExecutionProvider[],
  dropped: DroppedProvider[],
): Promise<{ session: ort.InferenceSession; providers: string[] }> {
  const names = (providers.length ? providers : [CPU]).map((p) => p.name)
  try {
    const session = await ort.InferenceSession.create(options.path, {
      executionProviders: names,
      graphOptimizationLevel: 'all',
      // Failures reach the client and the service log; onnxruntime's own stderr lines would repeat them.
      logSeverityLevel: 4,
      // Spinning threads keep a core busy between runs, starving the HTTP work of the event loop.
      extra: { session: { intra_op: { allow_spinning: options.intraOpSpinning ? '1' : '0' } } },
      ...(options.intraOpThreads === undefined
        ? {}
        : { intraOpNumThreads: options.intraOpThreads }),
    })
    return { session, providers: names }
  } catch (error) {
    const accelerator = providers.find((p) => p.name !== 'cpu')
    if (!accelerator) throw error
    // Without the accelerator, a model that loads shows the accelerator was what failed (its
    // libraries, CUDA or cuDNN, or the device); one that still fails has its own error.
    const rest = await openSession(
      options,
      providers.filter((p) => p !== accelerator),
      dropped,
    )
    if (!accelerator.optional) await rest.session.release()
    unavailable(accelerator, (error as Error).message, dropped)
    return rest
  }
}

/** A provider that cannot be active: the load fails, or an optional one is dropped and reported. */
function unavailable(provider: ExecutionProvider, why: string, dropped: DroppedProvider[]) {
  const reason = `execution provider '${provider.name}' is not available: ${why.trim()}`
  if (!provider.optional) {
    throw new Error(
      `${reason} (list it as {"name": "${provider.name}", "optional": true} in config.json to serve without it)`,
    )
  }
  dropped.push({ provider: provider.name, reason })
}
