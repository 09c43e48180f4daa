// `npm run platform:plan`, as a reviewer and CI run it: a real process over a real stack file.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { policies } from '../policies/all.ts'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..')

describe('npm run platform:plan', () => {
  it('prints the tree, then runs the pack with its preflight set and prints no violation', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'platform/plan.ts', '--stack', 'dev'],
      { cwd: ROOT },
    )
    expect(stdout).toContain('stack dev (mocked')
    expect(stdout).toContain(`policies: ${policies.length} checked, 0 violations`)
    expect(policies.map((p) => p.name)).toEqual(
      expect.arrayContaining(['cidr-layout', 'security-group-description', 'images-built']),
    )
  })

  it('refuses a stack without a stack file, non-zero', async () => {
    await expect(
      run(process.execPath, ['--import', 'tsx', 'platform/plan.ts', '--stack', 'nope'], {
        cwd: ROOT,
      }),
    ).rejects.toMatchObject({ code: 1 })
  })
})
