import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { captureUploadSidecar } from './pod.ts'

// The sidecar's script, run by a real shell against a fake `aws` that logs its arguments.
const script = captureUploadSidecar({
  dir: '/capture',
  volume: 'capture',
  bucket: 'captures',
  intervalSeconds: 1,
}).command as string[]

let dir: string
let child: ChildProcess | undefined
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'infera-sync-'))
  await mkdir(join(dir, 'bin'))
  await writeFile(join(dir, 'bin', 'aws'), '#!/bin/sh\necho "$@" >> "$AWS_LOG"\n')
  await chmod(join(dir, 'bin', 'aws'), 0o755)
})
afterEach(async () => {
  child?.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

const log = async () =>
  (await readFile(join(dir, 'aws.log'), 'utf8').catch(() => '')).trim().split('\n')

async function until(check: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('timed out')
}

function start(env: Record<string, string>) {
  child = spawn(script[0] as string, script.slice(1), {
    env: {
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      AWS_LOG: join(dir, 'aws.log'),
      INTERVAL: '1',
      POD_NAME: 'inference-tabular-7d9f-x2x',
      ...env,
    },
    stdio: 'ignore',
  })
  return child
}

describe('the capture upload sidecar', () => {
  it("uploads captures under the pod's name, then removes old days, and again on SIGTERM", async () => {
    const capture = join(dir, 'capture')
    await mkdir(join(capture, 'penguins', '3'), { recursive: true })
    const day = (daysAgo: number) =>
      new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10)
    const file = (daysAgo: number) => join(capture, 'penguins', '3', `${day(daysAgo)}.jsonl`)
    for (const daysAgo of [0, 1, 7]) await writeFile(file(daysAgo), '{}\n')

    const upload = start({ CAPTURE_DIR: capture, CAPTURE_BUCKET: 'captures' })
    const command = (version: number) =>
      `s3 sync --only-show-errors ${capture}/penguins/${version}/ s3://captures/penguins/${version}/inference-tabular-7d9f-x2x/`
    await until(() => !existsSync(file(7)))
    expect(await log()).toEqual([command(3)])
    expect([0, 1].map((daysAgo) => existsSync(file(daysAgo)))).toEqual([true, true])

    // What the server flushed as it stopped goes up before the pod is gone.
    await mkdir(join(capture, 'penguins', '4'))
    await writeFile(join(capture, 'penguins', '4', `${day(0)}.jsonl`), '{}\n')
    const exited = new Promise((done) => upload.on('exit', (code) => done(code)))
    upload.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect((await log()).slice(-2)).toEqual([command(3), command(4)])
  })
})
