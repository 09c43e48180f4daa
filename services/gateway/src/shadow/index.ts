import {
  joinUrl,
  type Send,
  type UpstreamRequest,
  type UpstreamResponse,
} from '../upstream/index.ts'

export interface ShadowOptions {
  targets: readonly string[]
  send: Send
  maxResponseBytes: number
  now: () => number
  random: () => number
  timeoutMs: number
  /** Called once per shadow response: its latency and whether its outputs differ. */
  onResult: (result: { seconds: number; disagrees: boolean }) => void
  /** Called when the shadow request failed outright (unreachable, timeout). */
  onError?: (error: unknown) => void
}

/**
 * Sends a copy of `request` to one shadow target (picked at random) and compares its outputs with
 * the primary's. The returned promise is for `waitUntil`: nothing the client waits on awaits it,
 * and it never rejects.
 */
export async function mirror(
  request: UpstreamRequest,
  primary: Promise<UpstreamResponse | undefined>,
  options: ShadowOptions,
): Promise<void> {
  const target = options.targets[Math.floor(options.random() * options.targets.length)]
  if (target === undefined) return
  try {
    const started = options.now()
    const response = await options.send(joinUrl(target, request.pathAndQuery), {
      method: request.method,
      headers: request.headers,
      body: request.body,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
    })
    const shadowOutputs = outputsOf(readJson(response))
    const seconds = (options.now() - started) / 1000
    const primaryResponse = await primary
    // Without a primary answer to compare (its request failed) only the latency is recorded.
    const primaryOutputs = primaryResponse && outputsOf(readJson(primaryResponse))
    const disagrees = primaryOutputs !== undefined && !sameValue(primaryOutputs, shadowOutputs)
    options.onResult({ seconds, disagrees })
  } catch (error) {
    options.onError?.(error)
  }
}

const decoder = new TextDecoder()

function readJson(response: UpstreamResponse): unknown {
  try {
    return JSON.parse(decoder.decode(response.body))
  } catch {
    return undefined
  }
}

/** OIP `outputs` keyed by name (their order is not meaningful), or KServe V1 `predictions`. */
export function outputsOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body
  const { outputs, predictions } = body as { outputs?: unknown; predictions?: unknown }
  if (Array.isArray(outputs)) {
    return Object.fromEntries(
      outputs.map((output: { name?: unknown; shape?: unknown; data?: unknown }) => [
        String(output?.name),
        { shape: output?.shape, data: output?.data },
      ]),
    )
  }
  return predictions ?? body
}

// Relative tolerance for floats: two builds of one model rarely agree to the last bit.
const TOLERANCE = 1e-6

/** Deep equality of JSON values, numbers within a relative tolerance. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(a), Math.abs(b))
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]))
    )
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const keysA = Object.keys(a)
    const recordB = b as Record<string, unknown>
    return (
      keysA.length === Object.keys(b).length &&
      keysA.every(
        (key) => key in recordB && sameValue((a as Record<string, unknown>)[key], recordB[key]),
      )
    )
  }
  return a === b
}
