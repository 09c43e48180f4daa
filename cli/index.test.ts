import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { tempDir } from '../services/registry/src/testing/index.ts'
import { type Command, type Leaf, runCommand, UsageError } from './args.ts'
import { COMMANDS, type Entry } from './commands/index.ts'

const root = fileURLToPath(new URL('../', import.meta.url))
const home = tempDir('infera-cli-')

/** `node bin/infera.js …args` as a real process: its exit code and output. */
async function infera(...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['bin/infera.js', ...args],
      { cwd: root, env: { ...process.env, INFERA_HOME: home } },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

/** Every runnable command, as the words after `infera`, with the leaf that runs it. */
const leaves: Array<{ path: string; leaf: Leaf }> = []
/** Every command and group, for --help. */
const paths: string[] = []

function walk(command: Command, path: string) {
  paths.push(path)
  if (command.kind === 'leaf') leaves.push({ path, leaf: command })
  else for (const [name, sub] of Object.entries(command.subcommands)) walk(sub, `${path} ${name}`)
}

beforeAll(async () => {
  for (const [name, entry] of Object.entries(COMMANDS)) walk((await entry.load()).command, name)
})

describe('every command, from its one definition', () => {
  it('documents every option its parser takes, and its parser takes every option it documents', () => {
    expect(leaves.length).toBeGreaterThan(15)
    for (const { path, leaf } of leaves) {
      const usage = leaf.usage(`infera ${path}`)
      const argv: string[] = []
      const expected: Record<string, string | boolean> = {}
      for (const [name, option] of Object.entries(leaf.options)) {
        expect(usage, `${path} --${name}`).toMatch(new RegExp(`^  --${name}\\b`, 'm'))
        if (option.type === 'boolean') {
          argv.push(`--${name}`)
          expected[name] = true
        } else {
          const value = option.choices?.at(-1) ?? `value-of-${name}`
          argv.push(`--${name}`, value)
          expected[name] = value
        }
      }
      const positionals = leaf.args.map((arg) => `value-of-${arg}`)
      const parsed = leaf.parse([...positionals, ...argv], `infera ${path}`)
      expect(parsed.values, path).toEqual(expected)
    }
  })

  it('refuses stray positional arguments, naming them', () => {
    for (const { path, leaf } of leaves) {
      const required = Object.entries(leaf.options).flatMap(([name, o]) =>
        o.required ? [`--${name}`, o.choices?.[0] ?? 'x'] : [],
      )
      const many = ['a', 'b', 'c', 'd', 'e']
      expect(() => leaf.parse([...many, ...required], `infera ${path}`), path).toThrow(UsageError)
    }
    const gateway = leaves.find((l) => l.path === 'gateway')?.leaf as Leaf
    expect(() => gateway.parse(['stray', '--config', 'c.json'], 'infera gateway')).toThrow(
      "unexpected argument 'stray': infera gateway takes options only (infera gateway --help)",
    )
  })

  it('prints the usage on --help and -h, for every command and subcommand', async () => {
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line))
    try {
      for (const path of paths) {
        const [name = '', ...rest] = path.split(' ')
        const { command } = await (COMMANDS[name] as Entry).load()
        for (const flag of ['--help', '-h']) {
          printed.length = 0
          await runCommand(command, [...rest, flag], `infera ${name}`)
          expect(printed, path).toHaveLength(1)
          expect(printed[0]).toMatch(new RegExp(`^Usage: infera ${path} `))
          const leaf = leaves.find((l) => l.path === path)?.leaf
          if (leaf) expect(printed[0]).toBe(leaf.usage(`infera ${path}`))
        }
      }
    } finally {
      log.mockRestore()
    }
  })

  it('prints the usage on --help as the real CLI, exit 0', { timeout: 180_000 }, async () => {
    // A few at a time, not all: each is a node process compiling TypeScript.
    for (const path of ['start', 'gateway', 'models', 'models promote']) {
      const run = await infera(...path.split(' '), '--help')
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(new RegExp(`^Usage: infera ${path} `))
    }
  })
})

// Each case runs the real CLI: slow on a busy machine, so more time than vitest's default.
describe('infera', { timeout: 120_000 }, () => {
  it('prints its version from package.json, and lists the commands', async () => {
    const { version } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))
    expect(await infera('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
    const help = await infera('--help')
    expect(help.code).toBe(0)
    for (const name of Object.keys(COMMANDS)) expect(help.stdout).toMatch(`\n  ${name} `)
  })

  it('prints a command’s usage on help COMMAND [SUBCOMMAND]', async () => {
    const [helped, flagged] = await Promise.all([
      infera('help', 'drift', 'serve'),
      infera('drift', 'serve', '--help'),
    ])
    expect(helped.code).toBe(0)
    expect(helped.stdout).toBe(flagged.stdout)
    expect(helped.stdout).toMatch(/--registry URL/)
    expect(helped.stdout).toMatch(/--canary-weight P/)
    expect(helped.stdout).toMatch(/--host H .*\[default\s+127\.0\.0\.1; env\s+HOST\]/s)
  })

  it('suggests the command meant, exit 2', async () => {
    const cases = [
      [['drfit'], "infera: unknown command 'drfit'; did you mean 'drift'? (infera --help)\n"],
      [
        ['models', 'lsit'],
        "infera: unknown models subcommand 'lsit'; did you mean 'list'? (infera models --help)\n",
      ],
      [
        ['help', 'gatway'],
        "infera: unknown command 'gatway'; did you mean 'gateway'? (infera --help)\n",
      ],
    ] as const
    for (const [args, message] of cases) {
      expect(await infera(...args)).toEqual({ code: 2, stdout: '', stderr: message })
    }
    const nothing = await infera('xyzzy')
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toMatch(/unknown command 'xyzzy'; one of start, demo, /)
  })

  it('names a wrong option and the help to read, with balanced quotes', async () => {
    const cases = [
      [
        ['drift', 'compare', '--refrence', 'a.csv'],
        'infera: unknown option --refrence; did you mean --reference? (infera drift compare --help)\n',
      ],
      [
        ['models', 'list', '--json=yes'],
        'infera: --json takes no value (infera models list --help)\n',
      ],
      [
        ['gateway', '--config'],
        'infera: --config needs a value: --config FILE (infera gateway --help)\n',
      ],
      [
        ['drift', 'serve', '--trainer', 'cloud'],
        "infera: --trainer must be one of none, local, sagemaker, not 'cloud' (infera drift serve --help)\n",
      ],
    ] as const
    for (const [args, message] of cases) {
      expect(await infera(...args)).toEqual({ code: 2, stdout: '', stderr: message })
    }
  })
})
