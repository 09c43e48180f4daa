import { Counter, collectDefaultMetrics, Registry } from 'prom-client'
import type { AuditEntry } from '../store/index.ts'

/** The registry service's metrics, on a registry of their own; the canary controller adds its own. */
export function createRegistryMetrics({ processMetrics = true } = {}) {
  const promRegistry = new Registry()
  if (processMetrics) collectDefaultMetrics({ register: promRegistry })
  const transitions = new Counter({
    name: 'infera_registry_transitions_total',
    help: 'Audited transitions (registrations, promotions, rollbacks, archives, alias changes).',
    labelNames: ['model', 'action'] as const,
    registers: [promRegistry],
  })
  return {
    promRegistry,
    /** Counts each audit entry: the registry's `onAudit` hook. */
    countTransitions(entries: AuditEntry[]) {
      for (const { model, action } of entries) transitions.inc({ model, action })
    },
  }
}

export type RegistryMetrics = ReturnType<typeof createRegistryMetrics>
