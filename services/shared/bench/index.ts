// Helpers shared by the npm run bench:* scripts: servers as child processes, autocannon load,
// model repositories and OIP request bodies.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

export const DURATION = Number(process.env.BENCH_DURATION ?? 10)
export const root = fileURLToPath(new URL('../../../', import.meta.url))

export interface Server {
  name: string
  port: number
  process: ChildProcess
}

export interface StartOptions {
  /** The program to run; node (this one) by default. */
  executable?: string
  /**
   * A file for the server's stdout (its access log), which the bench then never has to read: the
   * port is found by reading the file until it names one. Piped to the bench without it.
   */
  log?: string
}

const portIn = (out: string) =>
  /listening (\d+)/.exec(out) ?? /"url":"http:\/\/[^:]+:(\d+)"/.exec(out)

export function start(name: string, args: string[], options: StartOptions = {}): Promise<Server> {
  const executable = options.executable ?? process.execPath
  // bin/infera.js registers tsx itself; the bench's own servers are TypeScript files.
  const argv =
    executable === process.execPath && args[0]?.endsWith('.ts')
      ? ['--import', 'tsx', ...args]
      : args
  const logFd = options.log ? openSync(options.log, 'w') : undefined
  const child = spawn(executable, argv, {
    cwd: root,
    stdio: ['ignore', logFd ?? 'pipe', 'inherit'],
  })
  if (logFd !== undefined) closeSync(logFd)
  return new Promise((resolve, reject) => {
    let out = ''
    let ready = false
    const found = (match: RegExpExecArray | null) => {
      if (!match || ready) return
      ready = true
      resolve({ name, port: Number(match[1]), process: child })
    }
    if (options.log) {
      const log = options.log
      const poll = setInterval(() => {
        out = readFileSync(log, 'utf8')
        found(portIn(out))
        if (ready) clearInterval(poll)
      }, 50)
      child.once('exit', () => clearInterval(poll))
    }
    child.stdout?.on('data', (chunk: Buffer) => {
      // Still drained once ready, so a server logging every request never blocks on a full pipe,
      // but no longer kept: a long run would otherwise buffer (and rescan) every access log line.
      if (ready) return
      out += chunk
      found(portIn(out))
    })
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)))
  })
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))

/**
 * CPU time (user + system, microseconds) a process and every process under it have used so far:
 * the kernel's count (/proc, Linux), the same whatever the runtime, a cluster's workers included.
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .filter(Boolean)
    .map(Number)
  const own = (ticks / CLOCK_TICKS_PER_SECOND) * 1e6
  return children.reduce((sum, child) => sum + cpuMicros(child), own)
}

/** `node bin/infera.js COMMAND ...args` on a free port of 127.0.0.1. */
export const startCli = (name: string, command: string, ...args: string[]) =>
  start(name, ['bin/infera.js', command, ...args, '--port', '0', '--host', '127.0.0.1'])

export const startInfera = (name: string, repo: string) =>
  startCli(name, 'inference', '--models', repo)

/** The middle value; the mean of the two middle ones for an even count. */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export interface LoadResult {
  rps: number
  /** Requests completed in the run. */
  requests: number
  p50: number
  p99: number
  errors: number
}

export async function load(
  port: number,
  path: string,
  body: string | Buffer,
  connections: number,
  rate?: number,
  headers: Record<string, string> = {},
  seconds = DURATION,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
  })
  const errors = result.errors + result.timeouts + result.non2xx
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
  }
}

export const warm = (
  port: number,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) =>
  autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections: 8,
    duration: 2,
  })

export function writeModel(repo: string, name: string, bytes: Uint8Array, config: object) {
  mkdirSync(join(repo, name, '1'), { recursive: true })
  writeFileSync(join(repo, name, '1', 'model.onnx'), bytes)
  writeFileSync(join(repo, name, 'config.json'), JSON.stringify(config))
  return join(repo, name, '1', 'model.onnx')
}

const row = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Number(Math.sin(seed + i).toFixed(4)))

/** A single-row OIP infer request for a model whose input is `input`, shape [1, n]. */
export const inferBody = (n: number) =>
  JSON.stringify({ inputs: [{ name: 'input', shape: [1, n], datatype: 'FP32', data: row(n, 1) }] })

/**
 * The same request with the binary tensor extension, as tritonclient.http (`binary_data=True`) and
 * perf_analyzer send it: a JSON header, then the row as little-endian FP32 bytes, and the output
 * asked back as bytes too. Send `headers` with it: they carry the header's length.
 */
export function inferBinaryBody(n: number): { body: Buffer; headers: Record<string, string> } {
  const data = Buffer.from(new Float32Array(row(n, 1)).buffer)
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'input',
          shape: [1, n],
          datatype: 'FP32',
          parameters: { binary_data_size: data.length },
        },
      ],
      parameters: { binary_data_output: true },
    }),
  )
  return {
    body: Buffer.concat([header, data]),
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    },
  }
}
