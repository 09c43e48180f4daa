import { appendFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { CaptureRow } from './rows.ts'

export interface CaptureSink {
  write(rows: CaptureRow[]): Promise<void>
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

/**
 * Posts rows to the drift service as NDJSON, one request per model. A refused or failed post
 * rejects, so the capture counts the rows as dropped rather than retrying into a growing backlog.
 */
export class HttpCaptureSink implements CaptureSink {
  constructor(
    readonly baseUrl: string,
    readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async write(rows: CaptureRow[]) {
    const byModel = new Map<string, string[]>()
    for (const row of rows) {
      const lines = byModel.get(row.model) ?? []
      lines.push(JSON.stringify(row))
      byModel.set(row.model, lines)
    }
    const failures: string[] = []
    await Promise.all(
      [...byModel].map(async ([model, lines]) => {
        const url = `${this.baseUrl.replace(/\/$/, '')}/v1/drift/${encodeURIComponent(model)}/records`
        const response = await this.fetchImpl(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: `${lines.join('\n')}\n`,
        }).catch((error: Error) => ({ ok: false, status: 0, text: async () => error.message }))
        if (!response.ok) failures.push(`${model}: ${response.status} ${await response.text()}`)
      }),
    )
    if (failures.length > 0)
      throw new Error(`drift service refused captured rows: ${failures.join('; ')}`)
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
}
