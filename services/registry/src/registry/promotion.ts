/**
 * The promotion path's evaluation: whether a version may take production (or the canary) over the
 * version serving now — a gate report already passed against it, the evaluation gate on a holdout,
 * or, for a first version or a model with no task to score, a sample it must load and answer.
 */
import type { ArtifactStore } from '../artifacts/index.ts'
import {
  checkSample,
  DEFAULT_MARGIN,
  declaresTask,
  evaluateGate,
  type GateReport,
  type GateVersion,
} from '../gate/index.ts'
import type {
  FileRef,
  RegistryStore,
  StoredAlias,
  StoredGateReport,
  StoredVersion,
} from '../store/index.ts'
import type { PromoteOptions } from '../types.ts'
import { audit, dropCanaryOf, putCanary, type RunChange } from './changes.ts'
import { asInvalid, conflict, invalid, named, promotable, required } from './checks.ts'

/** Where a version's metadata and files are read from. */
export interface VersionSources {
  store: RegistryStore
  artifacts: ArtifactStore
}

/**
 * The version's latest gate report against `production`, if it passed (a forced one did not): a
 * canary's gate already compared it with this production, so promoting it needs no new holdout.
 */
export async function passedGate(
  store: Pick<RegistryStore, 'gateReports'>,
  name: string,
  version: number,
  production: number,
): Promise<StoredGateReport | undefined> {
  const reports = await store.gateReports(name, version)
  const latest = reports.findLast((r) => r.report.production_version === production)
  return latest?.passed ? latest : undefined
}

/**
 * The gate's report on promoting `candidate` over `production`: scored on the holdout when there is
 * one; without it, a first version or a model with no task to score is checked to load and answer
 * a sample (and to keep production's inputs and outputs). Forced, the gate is skipped.
 */
export async function promotionReport(
  { store, artifacts }: VersionSources,
  name: string,
  candidate: StoredVersion,
  production: number | undefined,
  options: PromoteOptions,
  { force, margin }: { force: boolean; margin: number },
): Promise<GateReport> {
  const unevaluated = (passed: boolean, summary: string): GateReport => ({
    model: name,
    candidate_version: candidate.version,
    production_version: production ?? null,
    task: null,
    target: null,
    margin,
    holdout: null,
    metrics: null,
    checks: [],
    passed,
    forced: force,
    summary,
    actor: options.actor,
  })
  const { holdoutCsv } = options
  if (holdoutCsv === undefined) {
    const first = `no production version: ${named(name, candidate.version)} is the first`
    if (force) {
      return unevaluated(
        production === undefined,
        production === undefined ? first : 'the gate was skipped (forced)',
      )
    }
    const held = production === undefined ? undefined : await required(store, name, production)
    // A holdout scores what declares a task; a model of raw tensors has nothing to score, so it
    // is held to loading, answering and keeping the interface clients call.
    if (held && (declaresTask(candidate) || declaresTask(held))) {
      throw invalid(
        `promoting to production needs a holdout CSV to score ${named(name, candidate.version)} ` +
          `against production version ${production} (or force, with a reason)`,
      )
    }
    const sample = await asInvalid(async () =>
      checkSample(
        name,
        await gateVersion(artifacts, candidate),
        held && (await gateVersion(artifacts, held)),
      ),
    )
    const what = held ? `${named(name, candidate.version)} declares no task to score` : first
    const summary =
      sample.problem === null
        ? `${what}; it loads and answers a sample of zeros` +
          (held ? ` with production version ${production}'s inputs and outputs` : '')
        : `${what}, and ${sample.problem} (force, with a reason, to promote it anyway)`
    return { ...unevaluated(sample.problem === null, summary), sample }
  }
  const report = await asInvalid(async () =>
    evaluateGate({
      model: name,
      candidate: await gateVersion(artifacts, candidate),
      production:
        production === undefined
          ? undefined
          : await gateVersion(artifacts, await required(store, name, production)),
      holdoutCsv,
      margin,
      actor: options.actor,
    }),
  )
  return { ...report, forced: force }
}

/** A stored version as the gate takes it: with its graph's bytes, verified. */
async function gateVersion(artifacts: ArtifactStore, v: StoredVersion): Promise<GateVersion> {
  return {
    version: v.version,
    config: v.config,
    metrics: v.metrics,
    onnx: await artifacts.get(v.files['model.onnx'] as FileRef),
  }
}

/**
 * Production (or, with `canary`, the canary alias) for `version`, once the gate lets it: the gate
 * runs first, outside the transaction, which then checks nothing moved meanwhile.
 */
export async function toProduction(
  { store, artifacts, change }: VersionSources & { change: RunChange },
  name: string,
  version: number,
  options: PromoteOptions,
) {
  const { force = false, margin = DEFAULT_MARGIN, canary } = options
  if (force && !options.reason?.trim()) {
    throw invalid('a forced promotion needs a reason: it skips the evaluation gate')
  }
  // The gate runs outside the transaction (it takes seconds); the transaction then checks that
  // production is still the version the candidate was compared with.
  const checkCanary = (held: StoredAlias[]) => {
    if (options.onlyIfCanary && !held.some((a) => a.alias === 'canary' && a.version === version)) {
      throw conflict(`${named(name, version)} no longer holds the canary: nothing promoted`)
    }
  }
  const aliases = await store.aliases(name)
  // Checked before the gate runs, and again in the transaction in case the canary moved meanwhile.
  checkCanary(aliases)
  const candidate = await promotable(store, name, version, aliases)
  const production = aliases.find((a) => a.alias === 'production')?.version
  if (canary && production === undefined) {
    throw conflict(
      `${name} has no production version for a canary to run beside: promote one to production first`,
    )
  }
  const reused =
    options.holdoutCsv === undefined && !force && production !== undefined
      ? await passedGate(store, name, version, production)
      : undefined
  const report =
    reused?.report ??
    (await promotionReport({ store, artifacts }, name, candidate, production, options, {
      force,
      margin,
    }))
  const result = await change(
    name,
    async (tx, now) => {
      await promotable(tx, name, version, now)
      const holder = now.find((a) => a.alias === 'production')?.version
      if (holder !== production) {
        throw conflict(
          `production of ${name} moved to version ${holder} while the gate ran; promote again`,
        )
      }
      checkCanary(now)
      // Kept even when the gate refuses: the report says why.
      const stored = reused ?? (await tx.saveGateReport(name, version, report))
      if (!report.passed && !report.forced) return []
      const details = {
        gate_report: stored.id,
        gate_passed: report.passed,
        forced: force,
        ...(reused && { reused: true }),
      }
      if (canary) {
        return [
          await putCanary(
            tx,
            name,
            version,
            now,
            { actor: options.actor, reason: options.reason, weight: canary.weight },
            details,
          ),
        ]
      }
      const entries = await dropCanaryOf(tx, name, version, now, {
        ...options,
        reason: 'promoted to production',
      })
      await tx.putAlias({
        model: name,
        alias: 'production',
        version,
        weight: null,
        previous_version: production ?? null,
      })
      entries.push(
        await tx.appendAudit({
          ...audit(name, 'promote', options),
          version,
          alias: 'production',
          from_stage: candidate.stage,
          to_stage: 'production',
          from_version: production ?? null,
          to_version: version,
          details,
        }),
      )
      return entries
    },
    report,
  )
  if (!report.passed && !report.forced)
    throw conflict(`the gate refused: ${report.summary}`, { gate: report })
  return result
}
