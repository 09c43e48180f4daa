import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { s3SyncSidecar } from './pod.ts'

// The sidecar's script, run by a real shell against a fake `aws` that logs its arguments.
const script = s3SyncSidecar({ downloads: [], intervalSeconds: 1, volumeMounts: [] })
  .command as string[]

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
      READY_FILE: join(dir, 'ready'),
      INTERVAL: '1',
      POD_NAME: 'inference-tabular-7d9f-x2x',
      ...env,
    },
    stdio: 'ignore',
  })
  return child
}

describe('the S3 sync sidecar', () => {
  it('downloads each prefix before it reports ready', async () => {
    start({
      DOWNLOADS:
        's3://artifacts/models/penguins/=/models/penguins/ s3://artifacts/models/mpg/=/models/mpg/',
    })
    await until(() => existsSync(join(dir, 'ready')))
    expect((await log()).slice(0, 2)).toEqual([
      's3 sync --only-show-errors --delete s3://artifacts/models/penguins/ /models/penguins/',
      's3 sync --only-show-errors --delete s3://artifacts/models/mpg/ /models/mpg/',
    ])
  })

  it("uploads captures under the pod's name, then removes old days, and again on SIGTERM", async () => {
    const capture = join(dir, 'capture')
    await mkdir(join(capture, 'penguins', '3'), { recursive: true })
    const day = (daysAgo: number) =>
      new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10)
    const file = (daysAgo: number) => join(capture, 'penguins', '3', `${day(daysAgo)}.jsonl`)
    for (const daysAgo of [0, 1, 7]) await writeFile(file(daysAgo), '{}\n')

    const sync = start({ DOWNLOADS: '', CAPTURE_DIR: capture, CAPTURE_BUCKET: 'captures' })
    await until(() => existsSync(join(dir, 'ready')))
    const upload = `s3 sync --only-show-errors ${capture}/penguins/3/ s3://captures/penguins/3/inference-tabular-7d9f-x2x/`
    expect(await log()).toEqual([upload])
    expect([0, 1, 7].map((daysAgo) => existsSync(file(daysAgo)))).toEqual([true, true, false])

    const exited = new Promise((done) => sync.on('exit', (code) => done(code)))
    sync.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect((await log()).at(-1)).toBe(upload)
  })
})
