import type { CaptureRow } from './rows.ts'
import type { CaptureSink, DropReason } from './sink.ts'

export {
  boundedValue,
  type CaptureRow,
  MAX_CAPTURED_VALUE_BYTES,
  TRUNCATED_MARK,
  toCaptureRows,
} from './rows.ts'
export {
  type CaptureSink,
  type DropListener,
  type DropReason,
  FanOutCaptureSink,
  HttpCaptureSink,
  type HttpCaptureSinkOptions,
  JsonlCaptureSink,
} from './sink.ts'

export interface CaptureOptions {
  sink: CaptureSink
  /** Share of requests captured, 0 to 1. */
  sampleRate: number
  /** Rows held in memory at most; past it new rows are dropped, never waited for. */
  capacity?: number
  flushIntervalMs?: number
  onWritten?: (model: string, rows: number) => void
  /** Rows lost here or, later, inside a sink that retries (see DropReason). */
  onDropped?: (model: string, rows: number, reason: DropReason) => void
  random?: () => number
}

interface Pending {
  model: string
  rows: number
  build: () => CaptureRow[]
}

/**
 * Samples predictions into a bounded buffer that a timer flushes to the sink. A prediction only
 * pays for a sampling decision and a push: its rows are built at flush time, off the request path.
 */
export class RequestCapture {
  readonly #options: Required<Omit<CaptureOptions, 'onWritten' | 'onDropped'>> &
    Pick<CaptureOptions, 'onWritten' | 'onDropped'>
  #buffer: Pending[] = []
  #bufferedRows = 0
  #flushing: Promise<void> | undefined
  readonly #timer: NodeJS.Timeout

  constructor(options: CaptureOptions) {
    this.#options = { capacity: 10_000, flushIntervalMs: 1000, random: Math.random, ...options }
    this.#timer = setInterval(() => void this.flush(), this.#options.flushIntervalMs)
    this.#timer.unref()
    if (options.onDropped) options.sink.attach?.(options.onDropped)
  }

  /** Offers a prediction of `rows` rows; returns whether it was kept. */
  offer(model: string, rows: number, build: () => CaptureRow[]): boolean {
    if (this.#options.sampleRate <= 0 || this.#options.random() >= this.#options.sampleRate)
      return false
    if (this.#bufferedRows + rows > this.#options.capacity) {
      this.#options.onDropped?.(model, rows, 'buffer_full')
      return false
    }
    this.#buffer.push({ model, rows, build })
    this.#bufferedRows += rows
    if (this.#bufferedRows >= this.#options.capacity / 2) void this.flush()
    return true
  }

  /** Writes what is buffered; one flush at a time, the next one waits for it. */
  flush(): Promise<void> {
    this.#flushing = (this.#flushing ?? Promise.resolve()).then(() => this.#write())
    return this.#flushing
  }

  async close() {
    clearInterval(this.#timer)
    await this.flush()
    await this.#options.sink.close?.()
  }

  async #write() {
    const pending = this.#buffer
    if (pending.length === 0) return
    this.#buffer = []
    this.#bufferedRows = 0
    const rows = pending.flatMap((p) => p.build())
    try {
      await this.#options.sink.write(rows)
      for (const [model, n] of countByModel(pending)) this.#options.onWritten?.(model, n)
    } catch {
      for (const [model, n] of countByModel(pending))
        this.#options.onDropped?.(model, n, 'sink_error')
    }
  }
}

function countByModel(pending: Pending[]) {
  const counts = new Map<string, number>()
  for (const p of pending) counts.set(p.model, (counts.get(p.model) ?? 0) + p.rows)
  return counts
}
