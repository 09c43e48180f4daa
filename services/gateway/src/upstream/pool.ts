import type { Timers } from '../../../shared/poll/index.ts'
import type { TargetState } from '../routing/index.ts'
import { type BreakerState, CircuitBreaker } from './breaker.ts'
import { HealthChecker, type HealthCheckOptions } from './health.ts'
import type { Send } from './send.ts'

export interface TargetPoolOptions {
  breaker: { failures: number; openMs: number }
  healthChecks?: Omit<HealthCheckOptions, 'targets' | 'send' | 'timers' | 'onChange'>
  send: Send
  now: () => number
  timers: Timers
  onBreakerChange?: (target: string, state: BreakerState) => void
  onHealthChange?: (target: string, healthy: boolean) => void
}

/**
 * Every upstream target with its breaker and, when configured, its active health checks; targets
 * come in with `add`, as routes name them.
 */
export class TargetPool implements TargetState {
  readonly #breakers = new Map<string, CircuitBreaker>()
  readonly #checker: HealthChecker | undefined
  readonly #options: TargetPoolOptions

  constructor(options: TargetPoolOptions) {
    this.#options = options
    this.#checker =
      options.healthChecks &&
      new HealthChecker({
        ...options.healthChecks,
        targets: [],
        send: options.send,
        timers: options.timers,
        onChange: options.onHealthChange,
      })
  }

  /**
   * Takes in a target: a closed breaker, health checks from the next round. False when it was
   * already in.
   */
  add(target: string): boolean {
    if (this.#breakers.has(target)) return false
    const breaker = new CircuitBreaker({
      ...this.#options.breaker,
      now: this.#options.now,
      onChange: (state) => this.#options.onBreakerChange?.(target, state),
    })
    this.#breakers.set(target, breaker)
    this.#checker?.add(target)
    return true
  }

  targets(): IterableIterator<string> {
    return this.#breakers.keys()
  }

  breaker(target: string): CircuitBreaker {
    const breaker = this.#breakers.get(target)
    if (!breaker) throw new Error(`unknown target ${target}`)
    return breaker
  }

  available(target: string): boolean {
    return this.breaker(target).available()
  }

  healthy(target: string): boolean {
    return this.#checker?.healthy(target) ?? true
  }

  /** Serving: healthy and its breaker not open. */
  ready(target: string): boolean {
    return this.healthy(target) && this.breaker(target).state() !== 'open'
  }

  start(): void {
    this.#checker?.start()
  }

  /** Resolves once a round of checks under way has finished. */
  async stop(): Promise<void> {
    await this.#checker?.stop()
  }

  checkNow(): Promise<void> {
    return this.#checker?.checkAll() ?? Promise.resolve()
  }
}
