// The platform's parts as child processes the fault suite can kill and start again on the same
// port, each with the tail of its output kept for the report when it won't come up.

import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A free port on 127.0.0.1 now; services are started on it, and restarted on it after a fault. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Ready once any HTTP answer below 500 comes from `url`. */
export const httpReady = (url: string) => async () => {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
  await response?.body?.cancel()
  return response !== undefined && response.status < 500
}

/** Ready once something accepts a TCP connection on the port (Redis). */
export const tcpReady = (port: number) => () =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.setTimeout(1000, () => done(false))
  })

export interface ServiceSpec {
  name: string
  command: string
  args: string[]
  env?: Record<string, string>
  ready: () => Promise<boolean>
}

/** Bounded: a service under load logs a line per request. */
const KEEP_BYTES = 64 * 1024

export class Service {
  readonly spec: ServiceSpec
  #child: ChildProcess | undefined
  #exited: Promise<unknown> = Promise.resolve()
  #output = ''

  constructor(spec: ServiceSpec) {
    this.spec = spec
  }

  /** `node bin/infera.js …args` from the checkout. */
  static infera(name: string, args: string[], ready: () => Promise<boolean>, env = {}) {
    return new Service({
      name,
      command: process.execPath,
      args: ['bin/infera.js', ...args],
      env,
      ready,
    })
  }

  get running() {
    return (
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
    )
  }

  /** Resident memory in bytes (Linux's /proc), 0 when not running. */
  rss(): number {
    if (!this.running) return 0
    try {
      const status = readFileSync(`/proc/${this.#child?.pid}/status`, 'utf8')
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
    } catch {
      // Not Linux, or gone since.
      return 0
    }
  }

  tail(lines = 20) {
    return this.#output.split('\n').slice(-lines).join('\n')
  }

  async start(timeoutMs = 60_000) {
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: ROOT,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    this.#exited = once(child, 'exit').catch(() => undefined)
    // A command that can't be spawned (redis-server not installed) never exits: say so.
    child.once('error', (error) => {
      this.#output += `\n${this.spec.command}: ${error.message}`
      this.#child = undefined
    })
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk).slice(-KEEP_BYTES)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    const deadline = Date.now() + timeoutMs
    while (!(await this.spec.ready())) {
      if (!this.running || Date.now() > deadline) {
        await this.stop('SIGKILL')
        throw new Error(`${this.spec.name} did not come up:\n${this.tail()}`)
      }
      await delay(100)
    }
  }

  /** Sends the signal to this service's own process, SIGKILL after `graceMs`; resolves once gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
    const child = this.#child
    if (!child || !this.running) return
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await this.#exited
    clearTimeout(timer)
  }
}
