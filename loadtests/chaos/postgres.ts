// A private PostgreSQL cluster for one chaos run: the machine's shared server can't be restarted
// while others use it, so the run makes its own with initdb on a free port in a temp dir and
// restarts that one. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './processes.ts'

const run = promisify(execFile)

/** The newest server under /usr/lib/postgresql, or PG_BIN. */
export function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (!versions[0]) throw new Error(`no PostgreSQL server under ${base}: set PG_BIN to its bin/`)
  return join(base, versions[0], 'bin')
}

export interface PrivatePostgres {
  /** The run's database on the private cluster. */
  url: string
  stop: () => Promise<void>
  start: () => Promise<void>
  /** Stops the cluster and removes its files. */
  destroy: () => Promise<void>
}

export async function startPrivatePostgres(database: string): Promise<PrivatePostgres> {
  const bin = postgresBin()
  const dir = mkdtempSync(join(tmpdir(), 'infera-chaos-pg-'))
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const uid = Number(stdout.trim())
    chownSync(dir, uid, uid)
  }
  const pg = (tool: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args])
      : run(join(bin, tool), args)
  const data = join(dir, 'data')
  const port = await freePort()
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  // Loopback only, its socket in its own dir; fsync off: a restart, not a crash, is the fault.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
  }
  const stop = async () => {
    await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
  }
  await start()
  await pg('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', database])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
