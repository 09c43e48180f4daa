// Runs a scenario's steps with autocannon, keeping every response's latency and status as k6
// would: its summary's percentiles are of the whole run, not of one step.
import autocannon from 'autocannon'
import type { Step } from './shape.ts'
import type { Samples } from './thresholds.ts'

export interface Target {
  url: string
  method: NonNullable<autocannon.Options['method']>
  headers: Record<string, string>
  body: string
}

function cannon(target: Target, step: Step, samples: Samples): Promise<void> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        ...target,
        connections: step.connections,
        duration: step.seconds,
        ...(step.rate !== undefined && { overallRate: step.rate }),
      },
      (error, result) => {
        if (error) return reject(error)
        // Connection errors and timeouts never reach the response event.
        samples.failed += result.errors
        samples.requests += result.errors
        resolve()
      },
    )
    instance.on('response', (_client, status, _bytes, milliseconds) => {
      samples.durations.push(milliseconds)
      samples.requests += 1
      if (status < 200 || status >= 400) samples.failed += 1
    })
  })
}

/** The i-th of n whole shares of x. */
const share = (x: number, n: number, i: number) => Math.floor(x / n) + (i < x % n ? 1 : 0)

/**
 * autocannon sends a second's requests as soon as the second starts, all at once; k6 spreads
 * arrivals over the second. Instances started this many times a second apart come close.
 */
const SPREAD = 10

async function runStep(target: Target, step: Step, samples: Samples) {
  samples.seconds += step.seconds
  const { rate } = step
  if (rate === undefined) return cannon(target, step, samples)
  const parts = Math.min(rate, SPREAD)
  await Promise.all(
    Array.from({ length: parts }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (i * 1000) / parts))
      const partRate = share(rate, parts, i)
      const connections = Math.max(1, Math.min(partRate, share(step.connections, parts, i)))
      await cannon(target, { seconds: step.seconds, rate: partRate, connections }, samples)
    }),
  )
}

export async function runSteps(target: Target, steps: readonly Step[]): Promise<Samples> {
  const samples: Samples = { durations: [], failed: 0, requests: 0, seconds: 0 }
  for (const step of steps) await runStep(target, step, samples)
  return samples
}
