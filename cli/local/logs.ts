// Where the local platform's services log. Their access logs are most of what they write (699 of
// 738 lines of a start-up with a little traffic), so by default they go to a file per service and
// the terminal keeps the start-up's story, the banner and what needs attention.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { bufferedDestination } from '../../services/shared/logging/index.ts'

export type LogTarget =
  /** Everything on stdout, as each service logs on its own (`--verbose`, LOG=info). */
  | 'terminal'
  /** Everything to `<dir>/<service>.log`; warnings and errors on stderr as well. */
  | 'files'
  /** Warnings and errors on stderr only: for a demo that tells its own story. */
  | 'warnings'

type Destination = ReturnType<typeof pino.destination>

export class ServiceLogs {
  readonly #files: Destination[] = []

  constructor(
    readonly target: LogTarget,
    /** Where 'files' writes: `$INFERA_HOME/logs`. */
    readonly dir: string,
  ) {
    if (target === 'files') mkdirSync(dir, { recursive: true })
  }

  /** The log file of a service, when the target is 'files'. */
  file(service: string) {
    return this.target === 'files' ? join(this.dir, `${service}.log`) : undefined
  }

  /** The logger a service is given; undefined leaves the service's own (stdout, info). */
  logger(service: string): Logger | undefined {
    if (this.target === 'terminal') return undefined
    const stderr = pino.destination({ dest: 2, sync: true })
    if (this.target === 'warnings') return pino({ name: service, level: 'warn' }, stderr)
    // Buffered, so that an access-log line never waits for the disk on the request path;
    // truncated at each start, so the files hold one run and don't grow across restarts.
    const file = bufferedDestination(this.file(service) as string, { append: false })
    this.#files.push(file)
    return pino(
      { name: service, level: 'info' },
      pino.multistream([
        { level: 'info', stream: file },
        { level: 'warn', stream: stderr },
      ]),
    )
  }

  /** Writes out what the files still buffer: the last lines of a run are the ones looked for. */
  close() {
    for (const file of this.#files.splice(0)) {
      try {
        file.flushSync()
      } catch {
        // Not open yet (nothing was written): nothing to flush.
      }
      file.end()
    }
  }
}

/** `--verbose`, or LOG set to info or a finer level, brings the services' logs to the terminal. */
export function logTarget(verbose: boolean, level = process.env.LOG): LogTarget {
  return verbose || ['info', 'debug', 'trace'].includes(level ?? '') ? 'terminal' : 'files'
}
