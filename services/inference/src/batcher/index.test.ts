import { describe, expect, it } from 'vitest'
import type { InferenceError } from '../errors/index.ts'
import { type BatchJob, DynamicBatcher } from './index.ts'

interface Job extends BatchJob {
  id: number
}

const job = (id: number, rows = 1, signature = 'a'): Job => ({
  id,
  rows,
  signature,
  enqueuedAt: performance.now(),
})

function recorder(
  options: { maxBatchSize?: number; maxQueueDelayMs?: number; maxQueueSize?: number } = {},
) {
  const batches: number[][] = []
  const batcher = new DynamicBatcher<Job>({
    maxBatchSize: 4,
    maxQueueDelayMs: 0,
    maxQueueSize: 100,
    ...options,
    execute: async (batch) => {
      batches.push(batch.map((j) => j.id))
      await new Promise((resolve) => setImmediate(resolve))
    },
  })
  return { batcher, batches }
}

describe('DynamicBatcher', () => {
  it('batches what queued in the same turn, up to the max batch size', async () => {
    const { batcher, batches } = recorder()
    for (let i = 0; i < 6; i++) batcher.enqueue(job(i))
    await batcher.drain()
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ])
  })

  it('counts rows, not requests: a job that does not fit waits for the next batch', async () => {
    const { batcher, batches } = recorder({ maxQueueDelayMs: 50 })
    batcher.enqueue(job(0, 3))
    batcher.enqueue(job(1, 1))
    batcher.enqueue(job(2, 2))
    await batcher.drain()
    expect(batches).toEqual([[0, 1], [2]])
  })

  it('never mixes jobs with different signatures', async () => {
    const { batcher, batches } = recorder()
    batcher.enqueue(job(0, 1, 'a'))
    batcher.enqueue(job(1, 1, 'b'))
    batcher.enqueue(job(2, 1, 'a'))
    await batcher.drain()
    expect(batches).toEqual([[0, 2], [1]])
  })

  it('waits up to the queue delay for batch-mates', async () => {
    const { batcher, batches } = recorder({ maxQueueDelayMs: 30 })
    batcher.enqueue(job(0))
    await new Promise((resolve) => setTimeout(resolve, 5))
    batcher.enqueue(job(1))
    expect(batches).toEqual([])
    await batcher.drain()
    expect(batches).toEqual([[0, 1]])
  })

  it('runs a full batch at once without waiting for the delay', async () => {
    const { batcher, batches } = recorder({ maxQueueDelayMs: 10_000 })
    for (let i = 0; i < 4; i++) batcher.enqueue(job(i))
    await batcher.drain()
    expect(batches).toEqual([[0, 1, 2, 3]])
  })

  it('runs up to `concurrency` batches at once, the next as a runner frees', async () => {
    const started: number[][] = []
    const finish: Array<() => void> = []
    let active = 0
    let peak = 0
    const batcher = new DynamicBatcher<Job>({
      maxBatchSize: 2,
      maxQueueDelayMs: 0,
      maxQueueSize: 100,
      concurrency: 2,
      execute: (batch) => {
        started.push(batch.map((j) => j.id))
        peak = Math.max(peak, ++active)
        return new Promise<void>((done) => finish.push(() => done(void active--)))
      },
    })
    for (let i = 0; i < 6; i++) batcher.enqueue(job(i))
    await new Promise((resolve) => setImmediate(resolve))
    // Two full batches went at once; the third waits for a free runner.
    expect(started).toEqual([
      [0, 1],
      [2, 3],
    ])
    expect(batcher.depth).toBe(2)
    finish.shift()?.()
    await new Promise((resolve) => setImmediate(resolve))
    expect(started).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ])
    for (const done of finish.splice(0)) done()
    await batcher.drain()
    expect(peak).toBe(2)
  })

  it('refuses past the queue limit with 503 and Retry-After, and too-large jobs with 400', () => {
    const { batcher } = recorder({ maxQueueSize: 2 })
    batcher.enqueue(job(0))
    batcher.enqueue(job(1))
    const full = (() => {
      try {
        batcher.enqueue(job(2))
      } catch (error) {
        return error as InferenceError
      }
    })()
    expect(full?.status).toBe(503)
    expect(full?.headers['Retry-After']).toBe('1')
    expect(() => recorder().batcher.enqueue(job(3, 5))).toThrow(
      /exceeds the model's max_batch_size 4/,
    )
  })
})
