/** setTimeout and clearTimeout as every runtime has them; tests pass a clock of their own. */
export interface Timers {
  setTimeout: (callback: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/**
 * Runs `work` every `intervalMs` until stopped. The next run is scheduled after one ends, so slow
 * runs never pile up.
 */
export class Poller {
  private handle: unknown
  private running = false

  constructor(
    private readonly timers: Timers,
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
  ) {}

  start(): void {
    if (this.running) return
    this.running = true
    this.schedule()
  }

  stop(): void {
    this.running = false
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle)
    this.handle = undefined
  }

  private schedule(): void {
    this.handle = this.timers.setTimeout(() => {
      void this.work().finally(() => {
        if (this.running) this.schedule()
      })
    }, this.intervalMs)
  }
}
