/** The writes every change shares: its audit entry, and the canary alias given or taken away. */
import type { AuditEntry, NewAuditEntry, RegistryTx, StoredAlias } from '../store/index.ts'
import type { AliasOptions, Change, GateReport, TransitionResult } from '../types.ts'

/**
 * Runs one change to a model in a transaction holding the model's lock: `work` sees the aliases as
 * they are now and returns the audit entries it wrote.
 */
export type RunChange = (
  name: string,
  work: (tx: RegistryTx, aliases: StoredAlias[]) => Promise<AuditEntry[]>,
  gate?: GateReport | null,
) => Promise<TransitionResult>

/** An audit entry for `change` to `model`; the caller adds what changed. */
export function audit(
  model: string,
  action: NewAuditEntry['action'],
  change: Change,
): NewAuditEntry {
  return { model, action, actor: change.actor, reason: change.reason ?? '' }
}

/** Gives `version` the canary alias, replacing the version that held it, audited. */
export async function putCanary(
  tx: RegistryTx,
  name: string,
  version: number,
  aliases: StoredAlias[],
  options: AliasOptions,
  details: Record<string, unknown> = {},
): Promise<AuditEntry> {
  const current = aliases.find((a) => a.alias === 'canary')
  await tx.putAlias({
    model: name,
    alias: 'canary',
    version,
    weight: options.weight,
    previous_version: current?.version ?? null,
  })
  return tx.appendAudit({
    ...audit(name, 'set_alias', options),
    version,
    alias: 'canary',
    from_version: current?.version ?? null,
    to_version: version,
    details: { ...details, weight: options.weight },
  })
}

/** Removes the canary alias if `version` holds it, audited; production and canary never meet. */
export async function dropCanaryOf(
  tx: RegistryTx,
  name: string,
  version: number,
  aliases: StoredAlias[],
  change: Change,
): Promise<AuditEntry[]> {
  if (aliases.find((a) => a.alias === 'canary')?.version !== version) return []
  await tx.removeAlias(name, 'canary')
  return [
    await tx.appendAudit({
      ...audit(name, 'remove_alias', change),
      version,
      alias: 'canary',
      from_version: version,
    }),
  ]
}
