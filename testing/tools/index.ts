// The tools and servers some tests need (promtool, Chromium, scipy, PostgreSQL, ...) and the blocks
// that declare them. A block whose requirement is missing is skipped with the reason on a
// developer's machine, and fails under CI=true: there a missing tool is a broken install (.ci/run
// installs them all), not a reason to test less.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, it, type TestContext } from 'vitest'

export type Availability<T> = { found: true; value: T } | { found: false; reason: string }

export interface Requirement<T> {
  /** What is needed, as the reasons name it: `promtool`, `python3 with onnx`. */
  readonly name: string
  /** The check's answer, evaluated once per test file however many blocks ask at a time. */
  availability(): Promise<Availability<T>>
  /** Counts a block that uses the value, so that `release` waits for the last. */
  acquire(): Promise<Availability<T>>
  /** A block is done with the value: frees it (closes a connection) after the last one. */
  release(): Promise<void>
}

/**
 * A named check. `check` returns what the tests use (a path, a connection), undefined when it is
 * absent, or throws saying why; `hint` says how to get it (`apt-get install prometheus`).
 */
export function requirement<T>({
  name,
  hint,
  check,
  close,
}: {
  name: string
  hint: string
  check: () => T | undefined | Promise<T | undefined>
  close?: (value: T) => unknown
}): Requirement<T> {
  let answer: Promise<Availability<T>> | undefined
  let users = 0
  const evaluate = async (): Promise<Availability<T>> => {
    try {
      const value = await check()
      if (value !== undefined) return { found: true, value }
      return { found: false, reason: `${name} not found — ${hint}` }
    } catch (error) {
      return { found: false, reason: `${name}: ${(error as Error).message} — ${hint}` }
    }
  }
  const availability = () => {
    answer ??= evaluate()
    return answer
  }
  return {
    name,
    availability,
    acquire() {
      users += 1
      return availability()
    },
    async release() {
      users -= 1
      const current = await availability()
      if (users > 0 || !current.found || !close) return
      // A block that starts after this (an itWith test) gets a fresh value, not a closed one.
      answer = undefined
      await close(current.value)
    },
  }
}

type Needs = Record<string, Requirement<unknown>>
type Found<R extends Needs> = { [K in keyof R]: R[K] extends Requirement<infer T> ? T : never }

/** GitHub Actions, GitLab and .ci/run set CI=true. */
const inCI = () => /^(true|1)$/i.test(process.env.CI ?? '')

type Acquired<R extends Needs> =
  | { ok: true; found: Found<R>; releaseAll: () => Promise<unknown> }
  | { ok: false; reason: string; title: string }

/** Every requirement's value, or why some are missing and a test title naming them. */
async function acquireAll<R extends Needs>(needs: R): Promise<Acquired<R>> {
  const entries = Object.entries(needs)
  const answers = await Promise.all(entries.map(([, need]) => need.acquire()))
  const found: Record<string, unknown> = {}
  const missing: Requirement<unknown>[] = []
  const reasons: string[] = []
  answers.forEach((answer, i) => {
    const [key, need] = entries[i] as [string, Requirement<unknown>]
    if (answer.found) found[key] = answer.value
    else {
      missing.push(need)
      reasons.push(answer.reason)
    }
  })
  const releaseAll = () => Promise.all(entries.map(([, need]) => need.release()))
  if (missing.length === 0) return { ok: true, found: found as Found<R>, releaseAll }
  await releaseAll()
  return {
    ok: false,
    reason: reasons.join('; '),
    title: `requires ${missing.map((need) => need.name).join(' and ')}`,
  }
}

const failure = (reason: string) =>
  new Error(`${reason} (CI=true: a missing requirement fails the run; .ci/run installs it)`)

/**
 * A describe block whose tests need `needs` (`installed('promtool')`, or `{ server:
 * postgresServer }`); `body` gets their values by the same keys. When one is missing the block
 * holds a single test, `requires …`: skipped here with the reason printed, failing under CI=true.
 */
export function describeWith<R extends Needs>(
  needs: R,
  name: string,
  body: (found: Found<R>) => void,
): void {
  describe(name, async () => {
    const answer = await acquireAll(needs)
    if (answer.ok) {
      afterAll(answer.releaseAll)
      body(answer.found)
      return
    }
    const { reason, title } = answer
    if (!inCI()) console.warn(`skipped: ${reason}`)
    it(title, (context) => {
      if (inCI()) throw failure(reason)
      context.skip(reason)
    })
  })
}

/** One test that needs `needs`: skipped with the reason printed, or failing under CI=true. */
export function itWith<R extends Needs>(
  needs: R,
  name: string,
  test: (found: Found<R>, context: TestContext) => unknown,
): void {
  it(name, async (context) => {
    const answer = await acquireAll(needs)
    if (!answer.ok) {
      if (inCI()) throw failure(answer.reason)
      console.warn(`skipped: ${answer.reason}`)
      return context.skip(answer.reason)
    }
    try {
      return await test(answer.found, context)
    } finally {
      await answer.releaseAll()
    }
  })
}

/** The first executable file called `command` on PATH, as `command -v` finds it. */
function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const path = join(dir, command)
    try {
      accessSync(path, constants.X_OK)
      if (statSync(path).isFile()) return path
    } catch {}
  }
  return undefined
}

/** A program on PATH, under any of `commands`; its value is the path. */
function program(name: string, hint: string, commands: readonly string[] = [name]) {
  return requirement({
    name,
    hint,
    check: () => commands.map(which).find((path) => path !== undefined),
  })
}

/**
 * The Deno executable itself, from the `deno` package. `node_modules/.bin/deno` is a Node shim
 * running it through spawnSync until the package's install script has run (npm runs none here:
 * `ignore-scripts`), and a signal sent to the shim kills the shim and orphans Deno. The package's
 * own installer finds the platform binary (and links it into place for next time).
 */
export function denoExecutable(): string | undefined {
  try {
    const installer = createRequire(import.meta.url)('deno/install_api.cjs') as {
      runInstall(): string
    }
    return installer.runInstall()
  } catch {
    return undefined
  }
}

const pythons = new Map<string, string | undefined>()

/**
 * The first Python interpreter that can import every module named, for tests that check Infera
 * against reference tools (onnx's checker, scipy). Debian's python3-* packages install into
 * /usr/bin/python3, which a pyenv or venv `python3` earlier on PATH does not see; INFERA_PYTHON
 * picks one explicitly.
 */
export function findPython(modules: readonly string[]): string | undefined {
  const key = modules.join(', ')
  if (!pythons.has(key)) {
    const candidates = [process.env.INFERA_PYTHON, 'python3', '/usr/bin/python3']
    const probe = `import ${key}`
    const found = candidates.find(
      (python) => python && spawnSync(python, ['-c', probe], { stdio: 'ignore' }).status === 0,
    )
    pythons.set(key, found)
  }
  return pythons.get(key)
}

/** python3 able to import `modules`; its value is the interpreter's path. */
function python3With(modules: readonly string[], hint: string) {
  return requirement({
    name: `python3 with ${modules.join(' and ')}`,
    hint: `${hint}, or INFERA_PYTHON=/path/to/python3`,
    check: () => findPython(modules),
  })
}

/** What the drift statistics are compared against. */
export const SCIPY_MODULES = ['scipy', 'numpy'] as const

// Every value is a path: the program's, or the python3 interpreter's.
const INSTALLED = {
  promtool: program('promtool', 'apt-get install prometheus'),
  prometheus: program('prometheus', 'apt-get install prometheus'),
  amtool: program('amtool', 'apt-get install prometheus-alertmanager'),
  // Debian names the binary after its package.
  alertmanager: program('alertmanager', 'apt-get install prometheus-alertmanager', [
    'alertmanager',
    'prometheus-alertmanager',
  ]),
  chromium: program('chromium', 'apt-get install chromium'),
  deno: requirement({
    name: 'deno',
    hint: 'npm ci installs it (the deno package)',
    check: denoExecutable,
  }),
  scipy: python3With(SCIPY_MODULES, 'apt-get install python3-scipy python3-numpy'),
  onnx: python3With(['onnx'], 'apt-get install python3-onnx'),
}

/** Requirements on what a machine installs, by name: `describeWith(installed('promtool'), …)`. */
export function installed<N extends keyof typeof INSTALLED>(...names: N[]) {
  return Object.fromEntries(names.map((name) => [name, INSTALLED[name]])) as Pick<
    typeof INSTALLED,
    N
  >
}

/** Runs a tool to completion: its exit status, its stdout, and everything it printed. */
export function run(
  path: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let output = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.once('error', reject)
    child.once('close', (status) => resolve({ status, stdout, output }))
  })
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Starts a server process from the repository's root and resolves `url` with the URL its
 * `"url":"…"` log line names (how every service says it is listening). The child goes into
 * `children` for the caller to kill; `url` rejects with the output so far if it exits first.
 */
export function startServer(
  command: string,
  args: string[],
  children: ChildProcess[],
  env: NodeJS.ProcessEnv = process.env,
) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let log = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk
      const match = /"url":"(http:[^"]+)"/.exec(log)
      if (match) resolve(match[1] as string)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then((code) => reject(new Error(`${command} exited (${code}) early:\n${log}`)))
  })
  url.catch(() => undefined)
  return { child, url, exited, log: () => log }
}
