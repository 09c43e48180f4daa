export type BreakerState = 'closed' | 'half-open' | 'open'

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failures: number
  /** How long an open breaker refuses requests before letting one probe through. */
  openMs: number
  now: () => number
  onChange?: (state: BreakerState) => void
}

/** Per-target circuit breaker: closed → open after N failures in a row → half-open → one probe. */
export class CircuitBreaker {
  #failures = 0
  #openedAt = 0
  #probing = false
  #current: BreakerState = 'closed'
  readonly #options: BreakerOptions

  constructor(options: BreakerOptions) {
    this.#options = options
  }

  /** The state now: an open breaker turns half-open once `openMs` has passed. */
  state(): BreakerState {
    if (this.#current === 'open' && this.#options.now() - this.#openedAt >= this.#options.openMs) {
      this.#transition('half-open')
    }
    return this.#current
  }

  /** Whether a request would be let through, without taking the half-open probe slot. */
  available(): boolean {
    const state = this.state()
    return state === 'closed' || (state === 'half-open' && !this.#probing)
  }

  /** Takes permission for one request; in half-open only the first caller gets it. */
  acquire(): boolean {
    if (!this.available()) return false
    if (this.#current === 'half-open') this.#probing = true
    return true
  }

  /** Gives back a permission that was not used: no request was sent. */
  release(): void {
    this.#probing = false
  }

  success(): void {
    this.#failures = 0
    this.#probing = false
    this.#transition('closed')
  }

  failure(): void {
    this.#failures += 1
    this.#probing = false
    if (this.#current === 'half-open' || this.#failures >= this.#options.failures) {
      this.#openedAt = this.#options.now()
      this.#transition('open')
    }
  }

  #transition(next: BreakerState): void {
    if (next === this.#current) return
    this.#current = next
    this.#options.onChange?.(next)
  }
}
