import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { bufferedDestination } from './index.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean)

/** A file `name` in a directory of its own, removed after the test. */
async function tempFile(name: string) {
  const dir = await mkdtemp(join(tmpdir(), 'infera-log-'))
  dirs.push(dir)
  return join(dir, name)
}

/** A destination writing to `file`, once it has opened it. */
async function openDestination(file: string) {
  const destination = bufferedDestination(file)
  await new Promise((resolve) => destination.once('ready', resolve))
  return destination
}

describe('bufferedDestination', () => {
  it('holds short lines back, then writes them within about a second', async () => {
    const file = await tempFile('access.log')
    const destination = await openDestination(file)
    for (let i = 0; i < 3; i++) destination.write(`{"line":${i}}\n`)
    expect(await lines(file)).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await lines(file)).toEqual(['{"line":0}', '{"line":1}', '{"line":2}'])
    destination.end()
  })

  it('writes chunk after chunk in order, and what is left on flush', async () => {
    const file = await tempFile('many.log')
    const destination = await openDestination(file)
    // 5,000 lines of ~100 bytes: about 60 chunks, and a tail shorter than one.
    const sent = Array.from({ length: 5000 }, (_, i) => `{"line":${i},"pad":"${'x'.repeat(80)}"}`)
    for (const line of sent) destination.write(`${line}\n`)
    await new Promise<void>((resolve, reject) =>
      destination.flush((error) => (error ? reject(error) : resolve())),
    )
    expect(await lines(file)).toEqual(sent)
    destination.end()
  })

  it('writes out what it holds when the process exits', async () => {
    const file = await tempFile('exit.log')
    const script = `
      import pino from 'pino'
      import { bufferedDestination } from './services/shared/logging/index.ts'
      const logger = pino({ name: 'test' }, bufferedDestination(${JSON.stringify(file)}))
      for (let i = 0; i < 5; i++) logger.info({ i }, 'request')
    `
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        stdio: 'inherit',
      },
    )
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0)
    expect((await lines(file)).map((line) => JSON.parse(line).i)).toEqual([0, 1, 2, 3, 4])
  })
})
