// What onnxruntime does on its own, in this process: the throughput ceiling at batch 64, and
// whether a session.run or a session load leaves the event loop (they don't, in 1.30).
import ort from 'onnxruntime-node'
import { DURATION } from '../../shared/bench/index.ts'

// The options Infera opens sessions with (src/instances/session.ts).
const OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
}

/** Rows per second of back-to-back session.run calls over batches of `batch` rows. */
export async function ortThroughput(path: string, inputSize: number, batch = 64) {
  const session = await ort.InferenceSession.create(path, OPTIONS)
  const input = new ort.Tensor('float32', new Float32Array(batch * inputSize).fill(0.5), [
    batch,
    inputSize,
  ])
  await session.run({ input })
  let runs = 0
  const started = performance.now()
  while (performance.now() - started < DURATION * 1000) {
    await session.run({ input })
    runs++
  }
  const seconds = (performance.now() - started) / 1000
  await session.release()
  return (runs * batch) / seconds
}

/**
 * How long `work` holds the event loop: the longest gap between 1 ms timer ticks while it runs,
 * and the ticks seen. A call that left the loop would see a tick every millisecond or so.
 */
async function loopHeld(work: () => Promise<unknown>) {
  let ticks = 0
  let longest = 0
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
    ticks++
  }, 1)
  const started = performance.now()
  await work()
  const ms = performance.now() - started
  clearInterval(timer)
  longest = Math.max(longest, performance.now() - last)
  return { ms, ticks, longest }
}

/** Measures a load and a large run of the model at `path` on this thread's event loop. */
export async function eventLoopHold(path: string, inputSize: number) {
  let session: ort.InferenceSession | undefined
  const load = await loopHeld(async () => {
    session = await ort.InferenceSession.create(path, OPTIONS)
  })
  if (!session) throw new Error('no session')
  const batch = 256
  const input = new ort.Tensor('float32', new Float32Array(batch * inputSize).fill(0.5), [
    batch,
    inputSize,
  ])
  await session.run({ input })
  const run = await loopHeld(() => (session as ort.InferenceSession).run({ input }))
  await session.release()
  return { load, run }
}
