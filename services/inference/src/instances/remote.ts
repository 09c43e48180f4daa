import { Worker } from 'node:worker_threads'
import { type InferenceError, unavailable } from '../errors/index.ts'
import type { Instance, RunOutcome } from './instance.ts'
import {
  transferable,
  type WorkerInit,
  type WorkerMessage,
  type WorkerRequest,
} from './protocol.ts'
import type { Feeds, SessionInfo } from './session.ts'

const THREAD = new URL('./thread.js', import.meta.url)

interface Pending {
  resolve: (outcome: RunOutcome) => void
  reject: (error: Error) => void
}

/**
 * An instance on a worker thread: its session is created, warmed up and run there. `ready`
 * settles once the session is (or failed to be); runs sent before wait on the thread. A thread
 * that dies fails its runs with a 503 and, if it had loaded, calls `onCrash`, which replaces it.
 */
export class WorkerInstance implements Instance {
  readonly worker: Worker
  readonly ready: Promise<SessionInfo>
  readonly #exited: Promise<void>
  #pending = new Map<number, Pending>()
  #nextId = 0
  #closing = false
  /** Set once the thread is gone or its session failed: every run fails with it. */
  #failed: InferenceError | undefined

  constructor(
    readonly index: number,
    init: WorkerInit,
    /** Names the model version in errors: "model 'm' version 1". */
    readonly label: string,
    onCrash: (instance: WorkerInstance) => void,
  ) {
    this.worker = new Worker(THREAD, { workerData: init })
    this.#exited = new Promise((resolve) => this.worker.once('exit', () => resolve()))
    let settle: { resolve: (info: SessionInfo) => void; reject: (error: Error) => void }
    this.ready = new Promise((resolve, reject) => {
      settle = { resolve, reject }
    })
    // Callers may never wait on `ready` (a replacement); its failure is reported through runs.
    this.ready.catch(() => undefined)
    let uncaught: Error | undefined
    let loaded = false
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        const { type: _, ...info } = message
        loaded = true
        settle.resolve(info)
      } else if (message.type === 'failed') {
        this.#fail(`${this.#name} failed to load: ${message.message}`)
        settle.reject(new Error(message.message))
        void this.worker.terminate()
      } else {
        const pending = this.#pending.get(message.id)
        this.#pending.delete(message.id)
        if (message.type === 'error') pending?.reject(new Error(message.message))
        else
          pending?.resolve({
            outputs: message.outputs,
            // The worker sends absolute times; these are the main thread's performance.now().
            inferStartedAt: message.inferStartedAt - performance.timeOrigin,
            inferEndedAt: message.inferEndedAt - performance.timeOrigin,
          })
      }
    })
    this.worker.on('error', (error) => {
      uncaught = error
    })
    this.worker.on('exit', (code) => {
      if (this.#closing) return
      const why = uncaught ? uncaught.message : `exit code ${code}`
      settle.reject(new Error(`its thread stopped while loading (${why})`))
      if (this.#failed) return
      this.#fail(`${this.#name} stopped unexpectedly (${why}); its batch was not run`)
      // Only a thread that had loaded is replaced: one that dies loading would die again.
      if (loaded) onCrash(this)
    })
  }

  get #name() {
    return `${this.label} instance ${this.index}`
  }

  run(feeds: Feeds, outputs: readonly string[], owned: (name: string) => boolean) {
    if (this.#failed) return Promise.reject(this.#failed)
    const id = this.#nextId++
    return new Promise<RunOutcome>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      const request: WorkerRequest = { type: 'run', id, feeds, outputs }
      this.worker.postMessage(request, transferable(feeds, owned))
    })
  }

  /** Releases the session on its thread and waits for the thread to end. */
  async close() {
    if (this.#closing) return
    this.#closing = true
    const request: WorkerRequest = { type: 'close' }
    this.worker.postMessage(request)
    await this.#exited
  }

  #fail(message: string) {
    this.#failed = unavailable(message)
    for (const pending of this.#pending.values()) pending.reject(this.#failed)
    this.#pending.clear()
  }
}
