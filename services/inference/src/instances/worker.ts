// One model instance on its own thread: the session is created, warmed up and run here, so a
// load or a long run never holds the main thread's event loop.
import { parentPort, workerData } from 'node:worker_threads'
import type { WorkerInit, WorkerMessage, WorkerRequest } from './protocol.ts'
import { transferable } from './protocol.ts'
import { loadSession, runSession } from './session.ts'

const port = parentPort as NonNullable<typeof parentPort>
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer)
const clock = () => performance.now() + performance.timeOrigin

const init = workerData as WorkerInit
const loading = loadSession(init.session)
loading.then(
  ({ session: _, ...info }) => post({ type: 'ready', ...info }),
  (error: Error) => post({ type: 'failed', message: error.message }),
)

// Runs handed to onnxruntime and not yet answered: a close waits for them, since releasing a
// session under a run (or ending the thread) takes the whole process down.
const running = new Set<Promise<void>>()

port.on('message', async (request: WorkerRequest) => {
  if (request.type === 'close') {
    await Promise.all(running)
    // Released here, on the thread that made it, before the thread ends.
    await loading.then(({ session }) => session.release()).catch(() => undefined)
    port.close()
    return
  }
  const run = answer(request)
  running.add(run)
  await run
  running.delete(run)
})

async function answer({ id, feeds, outputs: names }: Extract<WorkerRequest, { type: 'run' }>) {
  try {
    const { session } = await loading
    const inferStartedAt = clock()
    const outputs = await runSession(session, feeds, names)
    const inferEndedAt = clock()
    // onnxruntime allocated the outputs for this run: nothing else holds them.
    post(
      { type: 'result', id, outputs, inferStartedAt, inferEndedAt },
      transferable(outputs, () => true),
    )
  } catch (error) {
    post({ type: 'error', id, message: (error as Error).message })
  }
}
