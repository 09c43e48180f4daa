// Steady traffic through the gateway: requests at a fixed rate, round robin over the calls, each
// with a client timeout, bounded in count; every answer is kept as a sample for the fault's line.
import type { Sample } from './accounting.ts'

export interface Call {
  model: string
  path: string
  body: string
}

export interface TrafficOptions {
  gateway: string
  apiKey: string
  calls: readonly Call[]
  /** Requests per second. */
  rate: number
  /** A request unanswered this long counts as failed (status 0). */
  timeoutMs?: number
  /** The most requests one run may send, whatever its duration. */
  maxRequests?: number
}

export class Traffic {
  readonly #options: TrafficOptions
  readonly #samples: Sample[] = []
  readonly #inFlight = new Set<Promise<void>>()
  #timer: NodeJS.Timeout | undefined
  #sent = 0

  constructor(options: TrafficOptions) {
    this.#options = options
  }

  /** Sends `rate` requests a second until `stop`, on a schedule that doesn't drift. */
  start() {
    const { rate, maxRequests = rate * 600 } = this.#options
    const started = performance.now()
    const tick = () => {
      const due = Math.floor(((performance.now() - started) * rate) / 1000) + 1
      while (this.#sent < Math.min(due, maxRequests)) this.#send()
      this.#timer = setTimeout(tick, Math.max(1, 1000 / rate))
    }
    tick()
  }

  /** Stops sending, waits for the answers still due, and hands over the samples. */
  async stop(): Promise<Sample[]> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await Promise.all(this.#inFlight)
    return this.#samples.splice(0)
  }

  #send() {
    const { gateway, apiKey, calls, timeoutMs = 10_000 } = this.#options
    const call = calls[this.#sent % calls.length] as Call
    this.#sent += 1
    const began = performance.now()
    const request = fetch(`${gateway}${call.path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: call.body,
      signal: AbortSignal.timeout(timeoutMs),
    })
      .then(async (response) => {
        await response.arrayBuffer()
        return response.status
      })
      .catch(() => 0)
      .then((status) => {
        this.#samples.push({ model: call.model, status, ms: performance.now() - began })
        this.#inFlight.delete(request)
      })
    this.#inFlight.add(request)
  }
}
