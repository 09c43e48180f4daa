import pino from 'pino'

/**
 * A pino destination that gathers lines up to 8 KiB before writing them in one go, and writes what
 * waits at least once a second. A write per access-log line (its syscall and thread-pool hop) was
 * the largest share of the gateway's CPU over a bare proxy on Node; batched, it is a few percent.
 * The cost is a line reaching the log up to a second late; pino writes out the rest at exit.
 */
export function bufferedDestination(dest: number | string, options: { append?: boolean } = {}) {
  // Below sonic-boom's 16 KiB maxWrite, which a buffer must stay under.
  return pino.destination({ dest, sync: false, minLength: 8192, periodicFlush: 1000, ...options })
}

/** A service's logger on stdout, buffered as above. */
export const serviceLogger = (name: string) => pino({ name }, bufferedDestination(1))
