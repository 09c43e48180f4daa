import { readFileSync } from 'node:fs'
import { InputError, runCommand, UsageError, unknown } from './args.ts'
import { COMMANDS } from './commands/index.ts'

const names = Object.keys(COMMANDS)
const column = Math.max(...names.map((name) => name.length)) + 2

const HELP = `Usage: infera <command> [options]

Commands:
${names.map((name) => `  ${name.padEnd(column)}${COMMANDS[name]?.summary}`).join('\n')}

infera <command> --help (or infera help <command>) prints a command's usage; infera --version the
version. State lives under $INFERA_HOME (default ~/.infera).`

const version = () =>
  (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
  ).version

function entry(name: string) {
  const found = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!found) throw new UsageError(unknown('command', name, names, 'infera'))
  return found
}

async function main(argv: string[]) {
  const [name = '', ...rest] = argv
  if (name === '' || name === '--help' || name === '-h') return console.log(HELP)
  if (name === '--version' || name === '-v') return console.log(version())
  if (name === 'help') {
    // `infera help drift serve` is `infera drift serve --help`.
    if (rest.length === 0) return console.log(HELP)
    const [command = '', ...path] = rest
    const { command: loaded } = await entry(command).load()
    return runCommand(loaded, [...path, '--help'], `infera ${command}`)
  }
  const { command } = await entry(name).load()
  await runCommand(command, rest, `infera ${name}`)
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof UsageError || error instanceof InputError) {
    console.error(`infera: ${error.message}`)
    process.exit(error instanceof UsageError ? 2 : 1)
  }
  console.error(error)
  process.exit(1)
})
