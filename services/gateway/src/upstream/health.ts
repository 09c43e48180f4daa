import { Poller, type Timers } from '../../../shared/poll/index.ts'
import type { Send } from './send.ts'
import { joinUrl } from './url.ts'

export interface HealthCheckOptions {
  targets: readonly string[]
  path: string
  intervalMs: number
  unhealthyAfter: number
  healthyAfter: number
  /** A check that takes longer than this counts as a failure. */
  timeoutMs: number
  send: Send
  timers: Timers
  onChange?: (target: string, healthy: boolean) => void
}

// A health answer is a few bytes of JSON; anything far larger is not a healthy server.
const HEALTH_RESPONSE_LIMIT = 64 * 1024

interface TargetHealth {
  healthy: boolean
  streak: number
}

/**
 * Active health checks: every `intervalMs` a GET of `path` on each target. A target flips after
 * `unhealthyAfter` failures or `healthyAfter` successes in a row, so one blip changes nothing.
 * Targets start healthy: the gateway serves before the first round completes.
 */
export class HealthChecker {
  readonly #health = new Map<string, TargetHealth>()
  readonly #poller: Poller
  readonly #options: HealthCheckOptions

  constructor(options: HealthCheckOptions) {
    this.#options = options
    this.#poller = new Poller(() => this.checkAll(), {
      intervalMs: options.intervalMs,
      timers: options.timers,
    })
    for (const target of options.targets) this.#health.set(target, { healthy: true, streak: 0 })
  }

  healthy(target: string): boolean {
    return this.#health.get(target)?.healthy ?? true
  }

  /** Checks `target` from the next round on; it counts as healthy until then. */
  add(target: string): void {
    if (!this.#health.has(target)) this.#health.set(target, { healthy: true, streak: 0 })
  }

  start(): void {
    this.#poller.start()
  }

  /** Resolves once a round under way has finished. */
  stop(): Promise<void> {
    return this.#poller.stop()
  }

  /** One round over every target; the loop calls it, tests may too. */
  async checkAll(): Promise<void> {
    await Promise.all(
      [...this.#health.entries()].map(async ([target, state]) => {
        this.#record(target, state, await this.#probe(target))
      }),
    )
  }

  async #probe(target: string): Promise<boolean> {
    try {
      const response = await this.#options.send(joinUrl(target, this.#options.path), {
        method: 'GET',
        headers: {},
        timeoutMs: this.#options.timeoutMs,
        maxResponseBytes: HEALTH_RESPONSE_LIMIT,
      })
      return response.status >= 200 && response.status < 300
    } catch {
      return false
    }
  }

  #record(target: string, state: TargetHealth, ok: boolean): void {
    if (ok === state.healthy) {
      state.streak = 0
      return
    }
    state.streak += 1
    const needed = state.healthy ? this.#options.unhealthyAfter : this.#options.healthyAfter
    if (state.streak < needed) return
    state.healthy = ok
    state.streak = 0
    this.#options.onChange?.(target, ok)
  }
}
