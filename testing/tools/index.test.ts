import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { describeWith, requirement, run } from './index.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'infera-tools-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Report {
  testResults: Array<{
    assertionResults: Array<{ title: string; status: string; failureMessages: string[] }>
  }>
}

/**
 * Runs fixture/needs.fixture.ts in a vitest of its own with only `bin` on PATH, as CI or not: its
 * exit status, what it printed and each test's outcome by title.
 */
async function runFixture(name: string, { bin, ci }: { bin: string; ci: boolean }) {
  // Not this run's own vitest variables, nor its CI setting: the child decides from ours.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(VITEST|CI$)/.test(key)),
  )
  const reportFile = join(dir, `${name}.json`)
  const { status, output } = await run(
    process.execPath,
    [
      join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--config',
      join(root, 'testing/tools/fixture/vitest.config.ts'),
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${reportFile}`,
    ],
    {
      cwd: root,
      env: {
        ...env,
        PATH: bin,
        EXPECTED_PROMTOOL: join(bin, 'promtool'),
        ...(ci ? { CI: 'true' } : {}),
      },
    },
  )
  const report: Report = JSON.parse(readFileSync(reportFile, 'utf8'))
  const outcomes = Object.fromEntries(
    (report.testResults[0]?.assertionResults ?? []).map((test) => [test.title, test]),
  )
  return { status, output, outcomes }
}

/** A folder for PATH: empty, or with a `promtool` that does nothing. */
function binFolder(name: string, withPromtool: boolean) {
  const bin = join(dir, name)
  mkdirSync(bin)
  if (withPromtool) {
    writeFileSync(join(bin, 'promtool'), '#!/bin/sh\nexit 0\n')
    chmodSync(join(bin, 'promtool'), 0o755)
  }
  return bin
}

describe('a missing tool, in a vitest run of its own', () => {
  const empty = binFolder('empty', false)
  const withPromtool = binFolder('with-promtool', true)
  const runs = Promise.all([
    runFixture('local', { bin: empty, ci: false }),
    runFixture('ci', { bin: empty, ci: true }),
    runFixture('present', { bin: withPromtool, ci: true }),
  ])

  it('is skipped off CI, with the reason and how to install it printed', async () => {
    const [local] = await runs
    expect(local.status).toBe(0)
    expect(local.output).toContain('skipped: promtool not found — apt-get install prometheus')
    expect(local.outcomes['requires promtool']?.status).toBe('skipped')
    expect(local.outcomes['a test needing promtool']?.status).toBe('skipped')
    expect(local.outcomes['gets its path']).toBeUndefined()
    expect(local.outcomes['runs whatever the requirements']?.status).toBe('passed')
  })

  it('fails under CI=true in tests naming the tool, while the file’s other tests run', async () => {
    const [, ci] = await runs
    expect(ci.status).toBe(1)
    for (const title of ['requires promtool', 'a test needing promtool']) {
      expect(ci.outcomes[title]?.status).toBe('failed')
      expect(ci.outcomes[title]?.failureMessages.join('\n')).toContain(
        'promtool not found — apt-get install prometheus (CI=true',
      )
    }
    expect(ci.outcomes['runs whatever the requirements']?.status).toBe('passed')
  })

  it('runs the tests with the path found on PATH when the tool is there', async () => {
    const [, , present] = await runs
    expect(present.status).toBe(0)
    expect(present.outcomes['gets its path']?.status).toBe('passed')
    expect(present.outcomes['a test needing promtool']?.status).toBe('passed')
    expect(present.outcomes['requires promtool']).toBeUndefined()
  })
})

describe('requirement', () => {
  it('says why a check that throws found nothing, and how to get it', async () => {
    const server = requirement({
      name: 'a server',
      hint: 'start it',
      check: async () => {
        throw new Error('connection refused')
      },
    })
    expect(await server.availability()).toEqual({
      found: false,
      reason: 'a server: connection refused — start it',
    })
  })
})

// Two blocks share one connection: checked once, closed once, after the second.
let checks = 0
const closed: string[] = []
const connection = requirement({
  name: 'a connection',
  hint: 'open it',
  check: () => {
    checks += 1
    return 'connection 1'
  },
  close: (value) => closed.push(value),
})
for (const block of ['first', 'second']) {
  describeWith({ connection }, `the ${block} block using a connection`, (found) => {
    it('gets the value while no block has closed it', () => {
      expect(found.connection).toBe('connection 1')
      expect(closed).toEqual([])
    })
  })
}
describe('after both blocks', () => {
  it('checked once and closed once', async () => {
    expect(checks).toBe(1)
    // The second block's afterAll has run by the time a later block's test does.
    expect(closed).toEqual(['connection 1'])
  })
})
