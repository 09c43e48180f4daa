// Helpers shared by the npm run bench:* scripts: servers as child processes, autocannon load,
// model repositories and OIP request bodies.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
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

export function start(name: string, args: string[]): Promise<Server> {
  // bin/infera.js registers tsx itself; the bench's own servers are TypeScript files.
  const node = args[0]?.endsWith('.ts') ? ['--import', 'tsx', ...args] : args
  const child = spawn(process.execPath, node, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let ready = false
    child.stdout?.on('data', (chunk: Buffer) => {
      // Still drained once ready, so a server logging every request never blocks on a full pipe,
      // but no longer kept: a long run would otherwise buffer (and rescan) every access log line.
      if (ready) return
      out += chunk
      const match = /listening (\d+)/.exec(out) ?? /"url":"http:\/\/[^:]+:(\d+)"/.exec(out)
      if (match) {
        ready = true
        resolve({ name, port: Number(match[1]), process: child })
      }
    })
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)))
  })
}

/** `node bin/infera.js COMMAND ...args` on a free port of 127.0.0.1. */
export const startCli = (name: string, command: string, ...args: string[]) =>
  start(name, ['bin/infera.js', command, ...args, '--port', '0', '--host', '127.0.0.1'])

export const startInfera = (name: string, repo: string) =>
  startCli(name, 'inference', '--models', repo)

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  errors: number
}

export async function load(
  port: number,
  path: string,
  body: string,
  connections: number,
  rate?: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections,
    duration: DURATION,
    ...(rate ? { overallRate: rate } : {}),
  })
  const errors = result.errors + result.timeouts + result.non2xx
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors }
}

export const warm = (
  port: number,
  path: string,
  body: string,
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
