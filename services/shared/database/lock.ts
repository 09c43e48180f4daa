import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Another process (or this one) has the directory open. */
export class DirectoryInUseError extends Error {}

const LOCK_FILE = 'infera.lock'
/** Locks this process holds: a lock file naming our own pid is ours only if it is in here. */
const held = new Set<string>()

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes `dir/infera.lock` for this process and returns what releases it. PGlite has no lock of its
 * own: two processes opening one data directory both write to it and corrupt it. A lock left by a
 * process that is gone (a crash, a container restarted with the same pid) is taken over.
 */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE)
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' })
      held.add(path)
      return async () => {
        held.delete(path)
        await rm(path, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
    const stale = !Number.isInteger(pid) || (pid === process.pid ? !held.has(path) : !alive(pid))
    // Two processes may find the same stale lock: the second try is the last.
    if (!stale || attempt > 0) {
      throw new DirectoryInUseError(
        `${dir} is in use by process ${pid}: an embedded database can be open in one process only ` +
          `(remove ${path} if that process is not an Infera one)`,
      )
    }
    await rm(path, { force: true })
  }
}
