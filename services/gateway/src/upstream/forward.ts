import type { CircuitBreaker } from './breaker.ts'
import {
  type Send,
  type UpstreamResponse,
  UpstreamResponseTooLarge,
  UpstreamTimeout,
} from './send.ts'
import { joinUrl } from './url.ts'

export interface UpstreamRequest {
  method: string
  /** Path and query string, sent unchanged after the target's base URL. */
  pathAndQuery: string
  headers: Record<string, string>
  body: ArrayBuffer | undefined
}

export interface ForwardOptions {
  /** Targets in the order to try them. */
  candidates: readonly string[]
  breaker: (target: string) => CircuitBreaker
  /** Deadline for the whole request, retries included. */
  timeoutMs: number
  retries: number
  maxResponseBytes: number
  send: Send
  now: () => number
  random: () => number
  sleep?: (ms: number) => Promise<void>
  onAttempt?: (target: string, seconds: number) => void
  onRetry?: () => void
}

export type ForwardResult =
  | { ok: true; response: UpstreamResponse; target: string; attempts: number }
  | { ok: false; status: 502 | 503 | 504; error: string; target?: string; attempts: number }

const BACKOFF_BASE_MS = 25
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Sends a request to the first target whose breaker lets it through, then to another on a
 * connection error or a 503 (the server refused before running anything). A response that reached
 * a model — 4xx, 500 — is returned as is: inference is not always idempotent.
 */
export async function forward(
  request: UpstreamRequest,
  options: ForwardOptions,
): Promise<ForwardResult> {
  const sleep = options.sleep ?? defaultSleep
  const deadline = options.now() + options.timeoutMs
  const timedOut = (target: string | undefined, attempts: number): ForwardResult => ({
    ok: false,
    status: 504,
    error: `upstream did not answer within ${options.timeoutMs} ms`,
    ...(target !== undefined && { target }),
    attempts,
  })
  let last: ForwardResult = {
    ok: false,
    status: 503,
    error: 'no upstream target is available: every circuit breaker is open',
    attempts: 0,
  }
  for (const target of options.candidates) {
    if (last.attempts > options.retries) break
    const breaker = options.breaker(target)
    if (!breaker.acquire()) continue
    const attempts: number = last.attempts + 1
    if (attempts > 1) {
      options.onRetry?.()
      // Full jitter: retries from many clients spread out instead of arriving together.
      await sleep(options.random() * BACKOFF_BASE_MS * 2 ** (attempts - 2))
    }
    const started = options.now()
    if (started >= deadline) {
      breaker.release()
      return timedOut(last.target, last.attempts)
    }
    try {
      const response = await options.send(joinUrl(target, request.pathAndQuery), {
        method: request.method,
        headers: request.headers,
        body: request.body,
        timeoutMs: deadline - started,
        maxResponseBytes: options.maxResponseBytes,
      })
      options.onAttempt?.(target, (options.now() - started) / 1000)
      last = { ok: true, response, target, attempts }
      if (response.status !== 503) {
        breaker.success()
        return last
      }
      breaker.failure()
    } catch (error) {
      if (error instanceof UpstreamResponseTooLarge) {
        // The target is fine and the model ran: neither a breaker failure nor worth a retry.
        breaker.success()
        return { ok: false, status: 502, error: error.message, target, attempts }
      }
      breaker.failure()
      if (error instanceof UpstreamTimeout) return timedOut(target, attempts)
      last = { ok: false, status: 502, error: 'upstream is unreachable', target, attempts }
    }
  }
  return last
}
