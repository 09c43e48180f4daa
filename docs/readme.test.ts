// The README's quick start is the project's contract with a newcomer: two commands, one that runs
// the platform and one that runs the tests, and CI runs exactly the second. cli/start.test.ts runs
// what the first one starts; this holds the commands themselves to what the package does.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

const readme = read('README.md')
const quickStart = readme.slice(readme.indexOf('## Quick start'))
const start = quickStart.indexOf('```sh\n') + '```sh\n'.length
const commands = quickStart
  .slice(start, quickStart.indexOf('\n```', start))
  .split('\n')
  .map((line) => line.replace(/#.*$/, '').trim())
const scripts: Record<string, string> = JSON.parse(read('package.json')).scripts

describe("the README's quick start", () => {
  it('is two commands: install and start the platform, then run the tests', () => {
    expect(commands).toEqual(['npm install && npm start', 'npm test'])
  })

  it('starts the local platform that cli/start.test.ts runs, and tests with vitest', () => {
    expect(scripts.start).toBe('node bin/infera.js start')
    expect(scripts.test).toBe('vitest run')
    expect(read('cli/start.test.ts')).toContain("'start'")
  })

  it('is what CI runs: .ci/run ends its install with the same test command', () => {
    const steps = read('.ci/run')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('npm '))
    expect(steps).toContain(commands[1])
    const install = steps.findIndex((step) => step.startsWith('npm ci'))
    expect(install).toBeGreaterThanOrEqual(0)
    expect(install).toBeLessThan(steps.indexOf(commands[1] as string))
  })
})
