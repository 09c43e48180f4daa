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
