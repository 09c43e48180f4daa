import type ort from 'onnxruntime-node'
import type { Instance, RunOutcome } from './instance.ts'
import {
  type Feeds,
  loadSession,
  runSession,
  type SessionInfo,
  type SessionOptions,
} from './session.ts'

/**
 * An instance on the main thread: no thread hop per batch, but its load and every run hold the
 * event loop (onnxruntime-node 1.30 runs both synchronously), so only small models run here.
 */
export class LocalInstance implements Instance {
  readonly index = 0
  readonly #session: ort.InferenceSession

  private constructor(session: ort.InferenceSession) {
    this.#session = session
  }

  static async load(
    options: SessionOptions,
  ): Promise<{ instance: LocalInstance; info: SessionInfo }> {
    const { session, ...info } = await loadSession(options)
    return { instance: new LocalInstance(session), info }
  }

  async run(feeds: Feeds, outputs: readonly string[]): Promise<RunOutcome> {
    const inferStartedAt = performance.now()
    const results = await runSession(this.#session, feeds, outputs)
    return { outputs: results, inferStartedAt, inferEndedAt: performance.now() }
  }

  close() {
    return this.#session.release()
  }
}
