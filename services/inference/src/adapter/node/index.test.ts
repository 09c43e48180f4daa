import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { buildIdentityModel } from '../../../../../training/onnx/index.ts'
import { bearer, credentialFor, generateToken } from '../../../../shared/credentials/index.ts'
import { tempDir, writeModel } from '../../testing/index.ts'

const root = fileURLToPath(new URL('../../../../../', import.meta.url))
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

/** Starts `infera inference` as a real process and waits for its URL in the log. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, ['bin/infera.js', 'inference', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let log = ''
  child.stdout?.on('data', (chunk) => {
    log += chunk
  })
  child.stderr?.on('data', (chunk) => {
    log += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const match = /"url":"(http:[^"]+)"/.exec(log)
      if (match) resolve(match[1] as string)
    })
    void exited.then(() => reject(new Error(`exited early: ${log}`)))
  })
  // A test that expects an early exit never awaits the URL.
  url.catch(() => undefined)
  return { child, url, exited, log: () => log }
}

describe('infera inference (a real process)', () => {
  it('finishes queued requests on SIGTERM, then exits cleanly', async () => {
    const repo = tempDir()
    // A long queue delay keeps the requests waiting in the batch queue when SIGTERM arrives.
    writeModel(repo, 'slow', {
      onnx: buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] }),
      config: { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 400_000 } },
    })
    const server = startCli(['--models', repo, '--port', '0', '--host', '127.0.0.1'])
    const url = await server.url
    const body = JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
    })
    const pending = Array.from({ length: 8 }, () =>
      fetch(`${url}/v2/models/slow/infer`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 150))
    server.child.kill('SIGTERM')
    const responses = await Promise.all(pending)
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(await server.exited).toBe(0)
    expect(server.log()).toContain('inference server stopped')
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow()
  })

  it('exits with a clear message when the command line is wrong', async () => {
    const server = startCli(['--port', '80'])
    expect(await server.exited).toBe(2)
    expect(server.log()).toContain('--models DIR is required')
    const unfollowed = startCli(['--models', tempDir(), '--registry-sync-seconds', '1'])
    expect(await unfollowed.exited).toBe(2)
    expect(unfollowed.log()).toContain('need --registry URL')
  })

  it('binds loopback by default and opens model control only to a credential’s holder', async () => {
    const repo = tempDir()
    writeModel(repo, 'm', { onnx: buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] }) })
    const token = generateToken()
    const credentials = join(tempDir(), 'credentials.json')
    writeFileSync(
      credentials,
      JSON.stringify([await credentialFor('operator', token, ['inference:model-control'])]),
    )
    const args = ['--models', repo, '--port', '0', '--model-control', 'explicit']
    const server = startCli([...args, '--credentials', credentials])
    const url = await server.url
    expect(new URL(url).hostname).toBe('127.0.0.1')
    const unload = (headers: Record<string, string>) =>
      fetch(`${url}/v2/repository/models/m/unload`, { method: 'POST', headers })
    expect((await unload({})).status).toBe(401)
    expect((await unload(bearer(token))).status).toBe(200)

    const wrong = startCli([...args.slice(0, 4), '--model-control', 'poll'])
    expect(await wrong.exited).toBe(2)
    expect(wrong.log()).toContain("--model-control must be none or explicit, not 'poll'")
  })

  it('does not start when the registry it should follow can’t be read, and says which', async () => {
    // A port nothing listens on any more.
    const closed = createServer().listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const registry = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise((resolve) => closed.close(resolve))
    const server = startCli(['--models', tempDir(), '--port', '0', '--registry', registry])
    expect(await server.exited).toBe(1)
    expect(server.log()).toContain(`cannot read the model registry at ${registry}`)
  })
})
