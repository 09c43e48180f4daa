import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Poller, type Timers } from './index.ts'

/** A run that stays in progress until released. */
function pendingRun() {
  let release!: () => void
  const done = new Promise<void>((resolve) => {
    release = resolve
  })
  return { done, release }
}

/** Lets every settled promise's callbacks run. */
const settle = () => vi.advanceTimersByTimeAsync(0)

describe('Poller', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs first one interval after start, or at once when immediate', async () => {
    const runs: string[] = []
    const later = new Poller(() => runs.push('later'), { intervalMs: 1000 })
    const now = new Poller(() => runs.push('now'), { intervalMs: 1000, immediate: true })
    later.start()
    now.start()
    await settle()
    expect(runs).toEqual(['now'])
    await vi.advanceTimersByTimeAsync(1000)
    expect(runs.sort()).toEqual(['later', 'now', 'now'])
    await Promise.all([later.stop(), now.stop()])
  })

  it('never overlaps a slow run: the next starts an interval after it settles', async () => {
    const runs: ReturnType<typeof pendingRun>[] = []
    const poller = new Poller(
      () => {
        const run = pendingRun()
        runs.push(run)
        return run.done
      },
      { intervalMs: 1000 },
    )
    poller.start()
    poller.start()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(runs).toHaveLength(1)
    runs[0]?.release()
    await vi.advanceTimersByTimeAsync(999)
    expect(runs).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toHaveLength(2)
    runs[1]?.release()
    await poller.stop()
  })

  it('stops: the promise resolves once the run in progress has finished, and none follows', async () => {
    const run = pendingRun()
    let calls = 0
    let finished = false
    const poller = new Poller(
      async () => {
        calls += 1
        await run.done
        finished = true
      },
      { intervalMs: 1000 },
    )
    poller.start()
    await vi.advanceTimersByTimeAsync(1000)
    expect(calls).toBe(1)
    let stopped = false
    const stopping = poller.stop().then(() => {
      stopped = true
    })
    await settle()
    expect(stopped).toBe(false)
    run.release()
    await stopping
    expect(finished).toBe(true)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(calls).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stops at once between runs, and can start again', async () => {
    let calls = 0
    const poller = new Poller(() => (calls += 1), { intervalMs: 1000 })
    poller.start()
    await poller.stop()
    await vi.advanceTimersByTimeAsync(5000)
    expect(calls).toBe(0)
    poller.start()
    await vi.advanceTimersByTimeAsync(2000)
    expect(calls).toBe(2)
    await poller.stop()
  })

  it('started again while a stopped run finishes, keeps one loop', async () => {
    const run = pendingRun()
    let calls = 0
    const poller = new Poller(
      () => {
        calls += 1
        return calls === 1 ? run.done : undefined
      },
      { intervalMs: 1000, immediate: true },
    )
    poller.start()
    const stopping = poller.stop()
    poller.start()
    run.release()
    await stopping
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(3000)
    expect(calls).toBe(4)
    await poller.stop()
  })

  it('hands errors, thrown or rejected, to onError and goes on', async () => {
    const rejected: unknown[] = []
    let calls = 0
    const rejecting = new Poller(
      async () => {
        calls += 1
        if (calls <= 2) throw new Error(`run ${calls}`)
      },
      { intervalMs: 1000, immediate: true, onError: (error) => rejected.push(error) },
    )
    const thrown: unknown[] = []
    const throwing = new Poller(
      () => {
        throw new Error('at once')
      },
      { intervalMs: 1000, immediate: true, onError: (error) => thrown.push(error) },
    )
    rejecting.start()
    throwing.start()
    await vi.advanceTimersByTimeAsync(2000)
    expect(calls).toBe(3)
    expect(rejected).toEqual([new Error('run 1'), new Error('run 2')])
    expect(thrown).toEqual([new Error('at once'), new Error('at once'), new Error('at once')])
    await Promise.all([rejecting.stop(), throwing.stop()])
  })

  it('reports to the console when no onError is given', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const poller = new Poller(
      () => {
        throw new Error('unheard')
      },
      { intervalMs: 1000, immediate: true },
    )
    poller.start()
    await poller.stop()
    expect(logged).toHaveBeenCalledWith('poll run failed:', new Error('unheard'))
    logged.mockRestore()
  })
})

describe('Poller timers', () => {
  /** Timers that keep what was scheduled, with handles that record an unref. */
  function recordingTimers() {
    const handles: { callback: () => void; ms: number; unrefed: boolean }[] = []
    const timers: Timers = {
      setTimeout: (callback, ms) => {
        const handle = {
          callback,
          ms,
          unrefed: false,
          unref() {
            handle.unrefed = true
          },
        }
        handles.push(handle)
        return handle
      },
      clearTimeout: (handle) => {
        handles.splice(handles.indexOf(handle as (typeof handles)[number]), 1)
      },
    }
    return { timers, handles }
  }

  it('runs on injected timers, and unrefs their handles only when asked', async () => {
    const { timers, handles } = recordingTimers()
    let calls = 0
    const poller = new Poller(() => (calls += 1), { intervalMs: 250, timers, unref: true })
    const kept = new Poller(() => {}, { intervalMs: 250, timers })
    poller.start()
    kept.start()
    expect(handles.map(({ ms, unrefed }) => ({ ms, unrefed }))).toEqual([
      { ms: 250, unrefed: true },
      { ms: 250, unrefed: false },
    ])
    handles.shift()?.callback()
    await poller.stop()
    expect(calls).toBe(1)
    await kept.stop()
    expect(handles).toEqual([])
  })

  it("with the runtime's own timers, an unref'd loop alone keeps no process alive", async () => {
    const timersActive = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timersActive()
    const unrefed = new Poller(() => {}, { intervalMs: 3_600_000, unref: true })
    unrefed.start()
    expect(timersActive()).toBe(before)
    const kept = new Poller(() => {}, { intervalMs: 3_600_000 })
    kept.start()
    expect(timersActive()).toBe(before + 1)
    await Promise.all([unrefed.stop(), kept.stop()])
    expect(timersActive()).toBe(before)
  })
})
