import { Counter, Gauge, type Registry } from 'prom-client'
import type { CanaryDecision } from './types.ts'

/** The canary controller's metrics: each analysis's figures while it runs, and its verdicts. */
export function createCanaryMetrics(promRegistry: Registry) {
  const registers = [promRegistry]
  const gauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['model'] as const, registers })
  const figures = {
    requests: gauge('infera_canary_requests', 'Canary requests counted since its analysis began.'),
    errorRatio: gauge('infera_canary_error_ratio', 'Share of canary requests answered with a 5xx.'),
    slowRatio: gauge(
      'infera_canary_slow_ratio',
      'Share of canary requests answered slower than the latency threshold.',
    ),
    elapsedSeconds: gauge(
      'infera_canary_elapsed_seconds',
      "Time since the canary's analysis began.",
    ),
  }
  const decisions = new Counter({
    name: 'infera_canary_decisions_total',
    help: 'Canaries promoted to production or rolled back by the controller.',
    labelNames: ['model', 'verdict'] as const,
    registers,
  })
  return {
    show(decision: CanaryDecision) {
      for (const [key, metric] of Object.entries(figures)) {
        metric.set({ model: decision.model }, decision[key as keyof typeof figures])
      }
    },
    decided({ model, verdict }: CanaryDecision) {
      decisions.inc({ model, verdict })
    },
    /** The canary has ended: its figures go with it. */
    forget(model: string) {
      for (const metric of Object.values(figures)) metric.remove({ model })
    },
  }
}

export type CanaryMetrics = ReturnType<typeof createCanaryMetrics>
