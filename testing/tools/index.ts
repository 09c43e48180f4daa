// The Prometheus tools the tests check generated files with, and blocks that need them: skipped
// here when a tool is missing, failing in CI, where a missing tool is a broken install.
import { spawn, spawnSync } from 'node:child_process'
import { describe, it } from 'vitest'

const TOOLS = {
  promtool: { commands: ['promtool'], package: 'prometheus' },
  prometheus: { commands: ['prometheus'], package: 'prometheus' },
  amtool: { commands: ['amtool'], package: 'prometheus-alertmanager' },
  // Debian names the binary after its package.
  alertmanager: {
    commands: ['alertmanager', 'prometheus-alertmanager'],
    package: 'prometheus-alertmanager',
  },
} as const

export type Tool = keyof typeof TOOLS

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v "$0"', command], { encoding: 'utf8' })
  return found.status === 0 ? found.stdout.trim() : undefined
}

/**
 * A describe block whose tests run the tools named; `body` gets their paths. Vitest reports a skip
 * without a reason, so the block's name carries it.
 */
export function describeWithTools<T extends Tool>(
  name: string,
  tools: readonly T[],
  body: (paths: Record<T, string>) => void,
) {
  const paths = {} as Record<T, string>
  const missing: string[] = []
  for (const tool of tools) {
    const path = TOOLS[tool].commands.map(which).find((p) => p !== undefined)
    if (path) paths[tool] = path
    else missing.push(`${tool} (apt-get install ${TOOLS[tool].package})`)
  }
  if (missing.length === 0) return describe(name, () => body(paths))
  const reason = `missing ${missing.join(', ')}`
  if (!process.env.CI) return describe.skip(`${name} (skipped: ${reason})`, () => body(paths))
  return describe(name, () => {
    it('has the tools it needs', () => {
      throw new Error(`${reason}: .ci/run installs them`)
    })
  })
}

/** Runs a tool to completion: its exit status, its stdout, and everything it printed. */
export function run(
  path: string,
  args: readonly string[],
  options: { cwd?: string } = {},
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
