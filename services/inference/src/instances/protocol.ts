import type { Feeds, SessionInfo, SessionOptions } from './session.ts'

/** What a worker is started with (its `workerData`). */
export interface WorkerInit {
  session: SessionOptions
}

/** Main thread → worker: run these feeds and answer these outputs, or release and stop. */
export type WorkerRequest =
  | { type: 'run'; id: number; feeds: Feeds; outputs: readonly string[] }
  | { type: 'close' }

/** Worker → main thread. Times are the worker's `performance.now()` plus its `timeOrigin`. */
export type WorkerMessage =
  | ({ type: 'ready' } & SessionInfo)
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; outputs: Feeds; inferStartedAt: number; inferEndedAt: number }
  | { type: 'error'; id: number; message: string }

/**
 * The buffers of `feeds` that can move to the other thread instead of being copied: only those a
 * tensor owns whole. A view into a larger buffer (a request body, Node's Buffer pool) is copied
 * first, as structured cloning would copy the whole buffer under it.
 */
export function transferable(feeds: Feeds, owned: (name: string) => boolean): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>()
  for (const [name, tensor] of Object.entries(feeds)) {
    const data = tensor.data
    if (Array.isArray(data)) continue
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    if (whole && owned(name) && data.buffer instanceof ArrayBuffer) buffers.add(data.buffer)
    else if (!whole) feeds[name] = { ...tensor, data: data.slice() as typeof data }
  }
  return [...buffers]
}
