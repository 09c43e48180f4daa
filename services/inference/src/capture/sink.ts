import { appendFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { bearer } from '../../../shared/credentials/index.ts'
import type { CaptureRow } from './rows.ts'

export interface CaptureSink {
  write(rows: CaptureRow[]): Promise<void>
  /** Rows a sink loses after `write` resolved (it retries later) are reported here. */
  attach?(onDropped: DropListener): void
  close?(): Promise<void>
}

/** Appends rows as JSON lines to `dir/<model>/<version>/<YYYY-MM-DD>.jsonl`. */
export class JsonlCaptureSink implements CaptureSink {
  constructor(readonly dir: string) {}

  async write(rows: CaptureRow[]) {
    const files = new Map<string, string[]>()
    for (const row of rows) {
      const file = join(this.dir, row.model, row.version, `${row.ts.slice(0, 10)}.jsonl`)
      const lines = files.get(file) ?? []
      lines.push(JSON.stringify(row))
      files.set(file, lines)
    }
    for (const [file, lines] of files) {
      await mkdir(join(file, '..'), { recursive: true })
      await appendFile(file, `${lines.join('\n')}\n`)
    }
  }
}

/** Why captured rows were lost; each reason is a label value of `infera_capture_dropped_total`. */
export type DropReason = 'buffer_full' | 'sink_error' | 'retry_buffer_full' | 'refused' | 'shutdown'
export type DropListener = (model: string, rows: number, reason: DropReason) => void

export interface HttpCaptureSinkOptions {
  /** Bearer token with scope drift:ingest (the CLI reads INFERA_DRIFT_TOKEN). */
  token?: string
  fetch?: typeof fetch
  /** Rows held for retry while the drift service is down or failing; past it the oldest go. */
  maxPendingRows?: number
  /** Rows per POST, well inside the drift service's body limit. */
  maxRowsPerRequest?: number
  /** The first retry's delay; it doubles on each failure up to `maxRetryMs`. */
  minRetryMs?: number
  maxRetryMs?: number
  /** One POST's deadline. */
  timeoutMs?: number
  logger?: Pick<Logger, 'warn'>
}

interface Batch {
  model: string
  lines: string[]
}

/** The drift service's `rejected_count`, or the whole batch if the answer doesn't say. */
function rejectedCount(text: string, rows: number): number {
  try {
    const count = (JSON.parse(text) as { rejected_count?: unknown }).rejected_count
    return Number.isSafeInteger(count) ? Math.min(count as number, rows) : rows
  } catch {
    return rows
  }
}

/** 408, 429 and 5xx (and no answer at all) may pass; any other refusal will not. */
const retryable = (status: number) =>
  status === 0 || status === 408 || status === 429 || status >= 500

/**
 * Posts rows to the drift service as NDJSON, one request per model and chunk. While the service is
 * down or failing, rows wait in a bounded queue and are retried with exponential backoff, oldest
 * first; what overflows it, what the service refuses outright (a 4xx other than 408 and 429) and
 * what is still unsent at close are dropped and reported to the capture's drop listener, so they
 * are counted in `infera_capture_dropped_total`, never lost silently.
 */
export class HttpCaptureSink implements CaptureSink {
  readonly #url: string
  readonly #options: Required<Omit<HttpCaptureSinkOptions, 'token' | 'logger'>> &
    Pick<HttpCaptureSinkOptions, 'token' | 'logger'>
  #pending: Batch[] = []
  #pendingRows = 0
  #delivering: Promise<void> | undefined
  #retryTimer: NodeJS.Timeout | undefined
  #retryMs = 0
  #onDropped: DropListener | undefined
  #closed = false

  constructor(baseUrl: string, options: HttpCaptureSinkOptions = {}) {
    this.#url = baseUrl.replace(/\/$/, '')
    this.#options = {
      fetch,
      maxPendingRows: 10_000,
      maxRowsPerRequest: 1000,
      minRetryMs: 500,
      maxRetryMs: 30_000,
      timeoutMs: 10_000,
      ...options,
    }
  }

  attach(onDropped: DropListener) {
    this.#onDropped = onDropped
  }

  /** Rows waiting for the drift service. */
  get pendingRows() {
    return this.#pendingRows
  }

  /** Queues the rows and, unless the sink is backing off, delivers what is queued. */
  async write(rows: CaptureRow[]) {
    const byModel = new Map<string, string[]>()
    for (const row of rows) {
      const lines = byModel.get(row.model) ?? []
      lines.push(JSON.stringify(row))
      byModel.set(row.model, lines)
    }
    const { maxRowsPerRequest, maxPendingRows } = this.#options
    for (const [model, lines] of byModel) {
      for (let i = 0; i < lines.length; i += maxRowsPerRequest) {
        this.#pending.push({ model, lines: lines.slice(i, i + maxRowsPerRequest) })
      }
      this.#pendingRows += lines.length
    }
    while (this.#pendingRows > maxPendingRows) {
      const oldest = this.#pending.shift() as Batch
      this.#pendingRows -= oldest.lines.length
      this.#onDropped?.(oldest.model, oldest.lines.length, 'retry_buffer_full')
    }
    if (!this.#retryTimer) await this.#deliver()
  }

  /** One last attempt at what is queued; what still fails is dropped and counted. */
  async close() {
    this.#closed = true
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    await this.#deliver()
    for (const batch of this.#pending.splice(0))
      this.#onDropped?.(batch.model, batch.lines.length, 'shutdown')
    this.#pendingRows = 0
  }

  #deliver(): Promise<void> {
    this.#delivering ??= this.#drain().finally(() => {
      this.#delivering = undefined
    })
    return this.#delivering
  }

  async #drain() {
    for (let batch = this.#pending[0]; batch; batch = this.#pending[0]) {
      const { status, text } = await this.#post(batch)
      if (status >= 200 && status < 300) {
        this.#retryMs = 0
      } else if (status === 422) {
        // Partial ingest: the good rows were kept, the ones it names as rejected are lost.
        this.#retryMs = 0
        const rejected = rejectedCount(text, batch.lines.length)
        this.#options.logger?.warn(
          { model: batch.model, rejected, error: text.slice(0, 500) },
          'drift service rejected some captured rows',
        )
        this.#onDropped?.(batch.model, rejected, 'refused')
      } else if (retryable(status)) {
        this.#scheduleRetry(`${batch.model}: ${status || text}`)
        return
      } else {
        this.#options.logger?.warn(
          { model: batch.model, rows: batch.lines.length, status, error: text.slice(0, 500) },
          'drift service refused captured rows; they are dropped',
        )
        this.#onDropped?.(batch.model, batch.lines.length, 'refused')
      }
      // The batch may already have gone to make room while it was being posted.
      if (this.#pending[0] === batch) {
        this.#pending.shift()
        this.#pendingRows -= batch.lines.length
      }
    }
  }

  async #post({ model, lines }: Batch): Promise<{ status: number; text: string }> {
    try {
      const response = await this.#options.fetch(
        `${this.#url}/v1/drift/${encodeURIComponent(model)}/records?partial=true`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', ...bearer(this.#options.token) },
          body: `${lines.join('\n')}\n`,
          signal: AbortSignal.timeout(this.#options.timeoutMs),
        },
      )
      return { status: response.status, text: await response.text() }
    } catch (error) {
      return { status: 0, text: (error as Error).message }
    }
  }

  #scheduleRetry(reason: string) {
    if (this.#closed) return
    const { minRetryMs, maxRetryMs } = this.#options
    this.#retryMs = Math.min(maxRetryMs, this.#retryMs === 0 ? minRetryMs : this.#retryMs * 2)
    this.#options.logger?.warn(
      { reason, pendingRows: this.#pendingRows, retryInMs: this.#retryMs },
      'drift service unavailable; captured rows wait for a retry',
    )
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      void this.#deliver()
    }, this.#retryMs)
    this.#retryTimer.unref()
  }
}

/** Writes to every sink; fails if any of them failed, after all have been tried. */
export class FanOutCaptureSink implements CaptureSink {
  constructor(readonly sinks: CaptureSink[]) {}

  async write(rows: CaptureRow[]) {
    const results = await Promise.allSettled(this.sinks.map((sink) => sink.write(rows)))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  attach(onDropped: DropListener) {
    for (const sink of this.sinks) sink.attach?.(onDropped)
  }

  async close() {
    await Promise.all(this.sinks.map((sink) => sink.close?.()))
  }
}
