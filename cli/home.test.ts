import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../services/registry/src/testing/index.ts'
import {
  inferaHome,
  platformFile,
  removePlatformFile,
  runningPlatform,
  writePlatformFile,
} from './home.ts'

const saved = process.env.INFERA_HOME
afterEach(() => {
  if (saved === undefined) delete process.env.INFERA_HOME
  else process.env.INFERA_HOME = saved
})

const urls = {
  gateway: 'http://127.0.0.1:8080',
  inference: 'http://127.0.0.1:8082',
  drift: 'http://127.0.0.1:8081',
  registry: 'http://127.0.0.1:8083',
}

describe('INFERA_HOME', () => {
  it('is per user by default, not per directory', () => {
    delete process.env.INFERA_HOME
    expect(inferaHome()).toBe(join(homedir(), '.infera'))
    process.env.INFERA_HOME = 'relative/home'
    expect(inferaHome()).toBe(join(process.cwd(), 'relative/home'))
  })
})

describe('the running platform', () => {
  beforeEach(() => {
    process.env.INFERA_HOME = join(tempDir('infera-home-'), 'not-yet')
  })

  it('is the one this process recorded, until it removes its record', () => {
    expect(runningPlatform()).toBeUndefined()
    const written = writePlatformFile(urls)
    expect(runningPlatform()).toEqual({ pid: process.pid, started_at: written.started_at, urls })
    expect(Number.isNaN(Date.parse(written.started_at))).toBe(false)
    removePlatformFile()
    expect(existsSync(platformFile())).toBe(false)
    expect(runningPlatform()).toBeUndefined()
  })

  it('ignores a record whose process is gone, or that is not a record', () => {
    writePlatformFile(urls)
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    const stale = { pid: Number(gone.stdout), started_at: new Date().toISOString(), urls }
    writeFileSync(platformFile(), JSON.stringify(stale))
    expect(runningPlatform()).toBeUndefined()
    writeFileSync(platformFile(), '{"pid": "many"')
    expect(runningPlatform()).toBeUndefined()
  })

  it("leaves another process's record in place", () => {
    const other = { pid: process.ppid, started_at: new Date().toISOString(), urls }
    writePlatformFile(urls)
    writeFileSync(platformFile(), JSON.stringify(other))
    removePlatformFile()
    expect(runningPlatform()).toEqual(other)
  })
})
