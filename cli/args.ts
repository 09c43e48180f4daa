import { parseArgs } from 'node:util'

/** A mistake on the command line: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

/** Bad input the command was given (a missing or malformed file): its message alone, exit code 1. */
export class InputError extends Error {}

export const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options']

export function parseCommandArgs<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

export function toNumber(value: string | undefined, flag: string, { min = 0 } = {}) {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new UsageError(`${flag} must be a number ≥ ${min}, got '${value}'`)
  }
  return n
}

export function toPort(value: string | undefined, flag = '--port') {
  const port = toNumber(value, flag)
  if (port !== undefined && (!Number.isInteger(port) || port > 65_535)) {
    throw new UsageError(`${flag} must be an integer from 0 to 65535, got '${value}'`)
  }
  return port
}

/** Runs until SIGINT or SIGTERM, then closes gracefully; a second signal exits at once. */
export function closeOnSignal(close: () => Promise<void>) {
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130)
    stopping = true
    process.stderr.write(`\n${signal}: shutting down gracefully\n`)
    close().then(
      () => process.exit(0),
      (error) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

/** Exactly `expected` positional arguments, named by `usage` in the message otherwise. */
export function expectPositionals(positionals: string[], expected: number, usage = '') {
  if (positionals.length !== expected) {
    throw new UsageError(
      expected === 0
        ? `unexpected argument '${positionals[0]}'`
        : `expected ${usage}, got ${positionals.length ? positionals.map((p) => `'${p}'`).join(' ') : 'nothing'}`,
    )
  }
}
