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

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options']

/** node's parseArgs for the repository's scripts (loadtests), its errors naming the option. */
export function parseCommandArgs<O extends ParseArgsOptions>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (error) {
    // node's messages quote unevenly ("as in '-- \"--x\"") and suggest what rarely helps.
    const message = (error as Error).message
    const option = /(?:Unknown option|Option) '(-[^' ]+)/.exec(message)?.[1]
    if (!option) throw new UsageError(message)
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option}`)
    throw new UsageError(
      message.includes('does not take an argument')
        ? `${option} takes no value`
        : `${option} needs a value`,
    )
  }
}

/**
 * One option of a command: its parser and its line in the usage text both come from here, so the
 * two cannot drift apart.
 */
export interface OptionSpec {
  type: 'string' | 'boolean'
  /** The value's name in the usage text: `--port N`. */
  value?: string
  description: string
  default?: string
  /** The values accepted; the usage text lists them. */
  choices?: readonly string[]
  /** The environment variable read when the option is not given. */
  env?: string
  required?: boolean
}

type OptionSpecs = Record<string, OptionSpec>

/** `--port` and `--host`, as every command that serves takes them: loopback unless told. */
export const listenOptions = (port: string, hostNote = '') =>
  ({
    port: { type: 'string', value: 'N', default: port, description: 'the port to listen on' },
    host: {
      type: 'string',
      value: 'H',
      env: 'HOST',
      default: '127.0.0.1',
      description: `the interface to listen on${hostNote}`,
    },
  }) as const

type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  :
      | (S extends { choices: readonly (infer C)[] } ? C : string)
      | (S extends { default: string } | { required: true } ? never : undefined)

export type OptionValues<O extends OptionSpecs> = { [K in keyof O]: OptionValue<O[K]> }

export interface Parsed<O extends OptionSpecs> {
  values: OptionValues<O>
  positionals: string[]
}

export interface LeafSpec<O extends OptionSpecs> {
  /** One line: what the command does. */
  summary: string
  /** Positional arguments by name, in order; an optional one is written `[NAME]`. */
  args?: readonly string[]
  options: O
  /** Paragraphs printed after the options. */
  details?: string
  run: (parsed: Parsed<O>) => Promise<void>
}

export interface Leaf {
  kind: 'leaf'
  summary: string
  args: readonly string[]
  options: OptionSpecs
  usage: (path: string) => string
  parse: (argv: string[], path: string) => Parsed<OptionSpecs>
  run: (argv: string[], path: string) => Promise<void>
}

export interface Group {
  kind: 'group'
  summary: string
  subcommands: Record<string, Command>
}

export type Command = Leaf | Group

/** A command from its declarative spec: the parser and the usage text are generated from it. */
export function defineCommand<const O extends OptionSpecs>(typed: LeafSpec<O>): Leaf {
  const spec = typed as unknown as LeafSpec<OptionSpecs>
  const parse = (argv: string[], path: string) => parseOptions(spec, argv, path)
  return {
    kind: 'leaf',
    summary: spec.summary,
    args: spec.args ?? [],
    options: spec.options,
    usage: (path) => leafUsage(spec, path),
    parse,
    run: (argv, path) => typed.run(parse(argv, path) as Parsed<O>),
  }
}

export const defineGroup = (summary: string, subcommands: Record<string, Command>): Group => ({
  kind: 'group',
  summary,
  subcommands,
})

const isHelp = (arg: string) => arg === '--help' || arg === '-h'

/**
 * Runs `infera <path> ...argv`: a group picks its subcommand, `--help`/`-h` anywhere before `--`
 * prints the usage instead of running.
 */
export async function runCommand(command: Command, argv: string[], path: string) {
  if (command.kind === 'group') {
    const [name = '', ...rest] = argv
    // "drift": messages are printed after "infera: " already.
    const group = path.replace(/^infera /, '')
    if (name === '') {
      throw new UsageError(`${group} needs a subcommand\n\n${groupUsage(command, path)}`)
    }
    if (isHelp(name)) return console.log(groupUsage(command, path))
    const sub = Object.hasOwn(command.subcommands, name) ? command.subcommands[name] : undefined
    if (!sub) {
      const known = Object.keys(command.subcommands)
      throw new UsageError(unknown(`${group} subcommand`, name, known, path))
    }
    return runCommand(sub, rest, `${path} ${name}`)
  }
  const end = argv.indexOf('--')
  if ((end === -1 ? argv : argv.slice(0, end)).some(isHelp)) {
    console.log(command.usage(path))
    return
  }
  await command.run(argv, path)
}

/** "unknown command 'x'; did you mean 'y'?" with the help to read. */
export function unknown(what: string, name: string, known: string[], path: string) {
  const guess = closest(name, known)
  const hint = guess ? `; did you mean '${guess}'?` : `; one of ${known.join(', ')}`
  return `unknown ${what} '${name}'${hint} (${path} --help)`
}

/** The known name nearest to a mistyped one, if it is near enough to be a typo. */
export function closest(name: string, known: string[]) {
  let best: { name: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (!best || distance < best.distance) best = { name: candidate, distance }
  }
  const tolerance = Math.max(1, Math.ceil(name.length / 3))
  return best && best.distance <= tolerance ? best.name : undefined
}

/** Edit distance counting a swap of neighbours as one edit (drfit → drift), as typos go. */
function editDistance(a: string, b: string) {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  const at = (i: number, j: number) => d[i]?.[j] as number
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1)
      ;(d[i] as number[])[j] = best
    }
  }
  return at(a.length, b.length)
}

function parseOptions(spec: LeafSpec<OptionSpecs>, argv: string[], path: string) {
  const { options } = spec
  // Not strict: node's own errors quote unevenly and point nowhere; these name the option and the help.
  const { tokens } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(options).map(([name, o]) => [name, { type: o.type }]),
    ),
    allowPositionals: true,
    strict: false,
    tokens: true,
  })
  const help = `(${path} --help)`
  const given: Record<string, string | boolean> = {}
  const positionals: string[] = []
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value)
    if (token.kind !== 'option') continue
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined
    if (!option) {
      const guess = closest(token.name, Object.keys(options))
      throw new UsageError(
        `unknown option ${token.rawName}${guess ? `; did you mean --${guess}?` : ''} ${help}`,
      )
    }
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value ${help}`)
      given[token.name] = true
      continue
    }
    const value = token.value
    if (value === undefined || (!token.inlineValue && value.startsWith('--'))) {
      throw new UsageError(
        `${token.rawName} needs a value: ${token.rawName} ${valueName(option)} ${help}`,
      )
    }
    given[token.name] = value
  }
  const values: Record<string, string | boolean | undefined> = {}
  for (const [name, option] of Object.entries(options)) {
    const fromEnv = option.env ? process.env[option.env] || undefined : undefined
    const value =
      given[name] ?? fromEnv ?? option.default ?? (option.type === 'boolean' ? false : undefined)
    const source = name in given || fromEnv === undefined ? `--${name}` : option.env
    if (typeof value === 'string' && option.choices && !option.choices.includes(value)) {
      throw new UsageError(`${source} must be ${oneOf(option.choices)}, not '${value}' ${help}`)
    }
    if (value === undefined && option.required) {
      throw new UsageError(`--${name} ${valueName(option)} is required ${help}`)
    }
    values[name] = value
  }
  const args = spec.args ?? []
  const required = args.filter((arg) => !arg.startsWith('[')).length
  if (positionals.length < required || positionals.length > args.length) {
    throw new UsageError(
      args.length === 0
        ? `unexpected argument '${positionals[0]}': ${path} takes options only ${help}`
        : `expected ${args.join(' ')}, got ${positionals.length ? positionals.map((p) => `'${p}'`).join(' ') : 'nothing'} ${help}`,
    )
  }
  return { values, positionals } as Parsed<OptionSpecs>
}

const oneOf = (choices: readonly string[]) =>
  choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(', ')}`

const valueName = (option: OptionSpec) => option.value ?? option.choices?.join('|') ?? 'VALUE'

const flag = (name: string, option: OptionSpec) =>
  option.type === 'boolean' ? `--${name}` : `--${name} ${valueName(option)}`

const WIDTH = 100

function leafUsage(spec: LeafSpec<OptionSpecs>, path: string) {
  const required = Object.entries(spec.options)
    .filter(([, option]) => option.required)
    .map(([name, option]) => flag(name, option))
  const synopsis = [path, ...(spec.args ?? []), ...required, '[options]'].join(' ')
  const rows = [
    ...Object.entries(spec.options).map(([name, option]) => [flag(name, option), describe(option)]),
    ['-h, --help', 'prints this help'],
  ] as const
  const column = Math.min(32, Math.max(...rows.map(([left]) => left.length)) + 2)
  const lines = rows.map(([left, text]) => {
    const indent = ' '.repeat(column + 2)
    const wrapped = wrap(text, WIDTH - column - 2).join(`\n${indent}`)
    return left.length + 2 > column
      ? `  ${left}\n${indent}${wrapped}`
      : `  ${left.padEnd(column)}${wrapped}`
  })
  return [
    `Usage: ${synopsis}`,
    '',
    wrap(spec.summary, WIDTH).join('\n'),
    '',
    'Options:',
    ...lines,
    ...(spec.details ? ['', spec.details.trim()] : []),
  ].join('\n')
}

function describe(option: OptionSpec) {
  const notes = [
    option.choices && !option.value ? undefined : option.choices && oneOf(option.choices),
    option.default !== undefined && `default ${option.default}`,
    option.env && `env ${option.env}`,
  ].filter(Boolean)
  return notes.length ? `${option.description} [${notes.join('; ')}]` : option.description
}

function groupUsage(group: Group, path: string) {
  const names = Object.keys(group.subcommands)
  const column = Math.max(...names.map((name) => name.length)) + 2
  return [
    `Usage: ${path} <subcommand> [options]`,
    '',
    wrap(group.summary, WIDTH).join('\n'),
    '',
    'Subcommands:',
    ...names.map(
      (name) =>
        `  ${name.padEnd(column)}${wrap(group.subcommands[name]?.summary ?? '', WIDTH - column - 2).join(`\n${' '.repeat(column + 2)}`)}`,
    ),
    '',
    `${path} <subcommand> --help prints a subcommand's options.`,
  ].join('\n')
}

function wrap(text: string, width: number) {
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line)
        line = word
      } else line = line ? `${line} ${word}` : word
    }
    lines.push(line)
  }
  return lines
}
