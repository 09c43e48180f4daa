/**
 * The one polling loop every service uses. Web-standard: only the global setTimeout and
 * clearTimeout, so the gateway runs it on Node, Deno and Workers alike.
 */

/** setTimeout and clearTimeout as every runtime has them; tests pass a clock of their own. */
export interface Timers {
  setTimeout: (callback: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export interface PollOptions {
  /** From the end of one run to the start of the next, so slow runs never pile up. */
  intervalMs: number
  /** The first run at `start()` rather than `intervalMs` after it. */
  immediate?: boolean
  /** The timer alone keeps no process alive, so a CLI can exit (where its handle has `unref`: Node's). */
  unref?: boolean
  /** A run that throws or rejects goes here, and the loop goes on; it must not throw itself. */
  onError?: (error: unknown) => void
  timers?: Timers
}

/** The runtime's own. */
export const globalTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

// Never silent: a task that can fail should say how its failures are reported.
const reportToConsole = (error: unknown) => console.error('poll run failed:', error)

/**
 * Runs `task` every `intervalMs` between `start()` and `stop()`, one run at a time: the next is
 * scheduled once the current one has settled.
 */
export class Poller {
  readonly #task: () => unknown
  readonly #options: PollOptions
  readonly #timers: Timers
  #started = false
  #timer: unknown
  /** The run in progress, which `stop()` waits for. */
  #run: Promise<void> | undefined

  constructor(task: () => unknown, options: PollOptions) {
    this.#task = task
    this.#options = options
    this.#timers = options.timers ?? globalTimers
  }

  /** Starts the loop; does nothing while it runs. */
  start(): void {
    if (this.#started) return
    this.#started = true
    // A run still finishing from before a stop schedules the next one itself.
    if (this.#run) return
    if (this.#options.immediate) this.#runNow()
    else this.#schedule()
  }

  /** Stops the loop; resolves once the run in progress, if any, has finished. */
  async stop(): Promise<void> {
    this.#started = false
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#run
  }

  #schedule(): void {
    const handle = this.#timers.setTimeout(() => {
      this.#timer = undefined
      this.#runNow()
    }, this.#options.intervalMs)
    if (this.#options.unref) (handle as { unref?: () => unknown } | null)?.unref?.()
    this.#timer = handle
  }

  #runNow(): void {
    const onError = this.#options.onError ?? reportToConsole
    const run = (async () => {
      try {
        await this.#task()
      } catch (error) {
        onError(error)
      }
    })()
    this.#run = run.finally(() => {
      this.#run = undefined
      if (this.#started) this.#schedule()
    })
  }
}
