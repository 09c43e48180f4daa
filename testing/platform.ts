// `infera start` (what `npm start` runs) as a real child process on free ports of 127.0.0.1, with
// its state in a fresh INFERA_HOME: for end-to-end tests and the load-test gate.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../', import.meta.url))

export interface Platform {
  /** Base URLs, without a trailing slash. */
  gateway: string
  inference: string
  drift: string
  registry: string
  apiKey: string
  /** The tokens it hands local clients, by env var: INFERA_REGISTRY_TOKEN, INFERA_LABELS_TOKEN. */
  tokens: Record<string, string>
  home: string
  child: ChildProcess
  /** Everything the platform printed so far. */
  output: () => string
  /** Sends the signal and resolves with the exit code once the process is gone. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

// What `infera start` prints once everything listens.
const BANNER = {
  gateway: /gateway \(Open Inference Protocol, KServe V1\): +(http:\S+)/,
  inference: /inference \(loopback, behind the gateway\): +(http:\S+)/,
  drift: /drift metrics: +(http:\S+)\/metrics/,
  registry: /model registry: +(http:\S+)\/v1\/models/,
}

export async function startPlatform({
  apiKey = 'infera-test-key',
  home = mkdtempSync(join(tmpdir(), 'infera-home-')),
  timeoutMs = 90_000,
} = {}): Promise<Platform> {
  const child = spawn(process.execPath, ['bin/infera.js', 'start'], {
    cwd: root,
    env: {
      ...process.env,
      INFERA_HOME: home,
      PORT: '0',
      DRIFT_PORT: '0',
      INFERENCE_PORT: '0',
      REGISTRY_PORT: '0',
      // Its default, loopback, whatever the environment says.
      HOST: '',
      INFERA_DEV_API_KEY: apiKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  // Kept up to a megabyte: the access log of a long load test would fill the memory.
  const keep = (chunk: Buffer) => {
    if (output.length < 1_000_000) output += chunk
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const stop = async (signal: NodeJS.Signals = 'SIGINT') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return exited
  }
  const deadline = Date.now() + timeoutMs
  while (!BANNER.drift.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop('SIGKILL')
      throw new Error(`infera start did not come up:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const url = (pattern: RegExp) => pattern.exec(output)?.[1] as string
  const tokens = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8'))
  return {
    gateway: url(BANNER.gateway),
    inference: url(BANNER.inference),
    drift: url(BANNER.drift),
    registry: url(BANNER.registry),
    apiKey,
    tokens,
    home,
    child,
    output: () => output,
    stop,
  }
}
