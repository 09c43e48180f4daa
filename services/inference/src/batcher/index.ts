import { InferenceError, unavailable } from '../errors/index.ts'

/**
 * When and where a job's batch ran, in `performance.now()` milliseconds of the main thread (times
 * taken on an instance's thread are converted). Filled for every job before it settles.
 */
export interface BatchTiming {
  batchId: number
  /** Rows in the batch. */
  batchSize: number
  /** Which of the model version's instances ran it. */
  instance: number
  startedAt: number
  inferStartedAt: number
  inferEndedAt: number
  endedAt: number
}

export interface BatchJob {
  /** Rows this job adds to a batch (its size along dimension 0). */
  rows: number
  /** Jobs batch together only when their signatures (non-batch dimensions) match. */
  signature: string
  enqueuedAt: number
  /** Set by the code that runs the job's batch, before it settles the job. */
  timing?: BatchTiming
}

export interface BatcherOptions<J extends BatchJob> {
  maxBatchSize: number
  maxQueueDelayMs: number
  maxQueueSize: number
  /** Batches that may run at once: one per model instance (1 by default). */
  concurrency?: number
  /** Runs one batch; settles each job itself. */
  execute: (batch: J[]) => Promise<void>
  onDepthChange?: (depth: number) => void
}

/**
 * Queues jobs and hands them to `execute` in batches of at most `maxBatchSize` rows, up to
 * `concurrency` batches at a time. A batch runs as soon as it is full or its oldest job has waited
 * `maxQueueDelayMs`, and a runner is free; with no delay it takes what queued during the previous
 * turn of the event loop, so under load batches grow on their own while an idle server answers at
 * once.
 */
export class DynamicBatcher<J extends BatchJob> {
  #queue: J[] = []
  #queuedRows = 0
  #running = 0
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined
  #idle: Array<() => void> = []

  constructor(readonly options: BatcherOptions<J>) {}

  get depth() {
    return this.#queue.length
  }

  enqueue(job: J) {
    if (this.#queue.length >= this.options.maxQueueSize) {
      throw unavailable(`queue is full (${this.options.maxQueueSize} requests waiting)`)
    }
    if (job.rows > this.options.maxBatchSize) {
      throw new InferenceError(
        400,
        `batch size ${job.rows} exceeds the model's max_batch_size ${this.options.maxBatchSize}`,
      )
    }
    this.#queue.push(job)
    this.#queuedRows += job.rows
    this.options.onDepthChange?.(this.#queue.length)
    this.#schedule()
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && this.#running === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #schedule() {
    if (this.#running >= (this.options.concurrency ?? 1) || this.#queue.length === 0) return
    if (this.#queuedRows >= this.options.maxBatchSize) {
      this.#clearTimer()
      this.#flush()
      return
    }
    if (this.#timer) return
    const oldest = this.#queue[0] as J
    const wait = this.options.maxQueueDelayMs - (performance.now() - oldest.enqueuedAt)
    const flush = () => {
      this.#timer = undefined
      this.#flush()
    }
    this.#timer = wait > 0 ? setTimeout(flush, wait) : setImmediate(flush)
  }

  #clearTimer() {
    if (!this.#timer) return
    clearTimeout(this.#timer as NodeJS.Timeout)
    clearImmediate(this.#timer as NodeJS.Immediate)
    this.#timer = undefined
  }

  #flush() {
    const batch = this.#take()
    if (batch.length === 0) return
    this.options.onDepthChange?.(this.#queue.length)
    this.#running++
    void this.options.execute(batch).finally(() => {
      this.#running--
      if (this.#queue.length > 0) this.#schedule()
      else if (this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve()
    })
    // A free runner takes what is left (another signature, or jobs past a full batch) as it would
    // after a batch: at once if it fills a batch, else after its delay.
    this.#schedule()
  }

  /** Takes the oldest job and the queued jobs that fit beside it, keeping the others in order. */
  #take(): J[] {
    const first = this.#queue[0]
    if (!first) return []
    const batch: J[] = []
    const rest: J[] = []
    let rows = 0
    for (const job of this.#queue) {
      if (job.signature === first.signature && rows + job.rows <= this.options.maxBatchSize) {
        batch.push(job)
        rows += job.rows
      } else {
        rest.push(job)
      }
    }
    this.#queue = rest
    this.#queuedRows -= rows
    return batch
  }
}
