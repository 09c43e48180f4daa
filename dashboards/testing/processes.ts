// Prometheus and Alertmanager as real processes on free ports of 127.0.0.1, for the tests.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** A port nothing listens on now (the tools take a port, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Polls `check` until it returns a value, or fails saying what never happened. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

export interface Server {
  url: string
  child: ChildProcess
  /** Everything it printed so far, for failure messages. */
  output: () => string
  stop: () => Promise<void>
}

/**
 * Starts a Prometheus-style server (`--web.listen-address`) and waits until `/-/ready` answers.
 */
export async function startServer(path: string, args: string[]): Promise<Server> {
  const port = await freePort()
  const child = spawn(path, [...args, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const server = {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
  const state = await waitFor(`${path} to be ready`, async () => {
    if (child.exitCode !== null) return 'exited'
    return (await fetch(`${url}/-/ready`)).ok ? 'ready' : undefined
  }).catch(async (error: Error) => {
    await server.stop()
    throw new Error(`${error.message}\n${output}`)
  })
  if (state === 'exited') throw new Error(`${path} exited:\n${output}`)
  return server
}
