// What `infera models` prints: one line per model, version, audit entry or change, or the JSON.
import type {
  AuditEntry,
  MaterializedModel,
  ModelView,
  TransitionResult,
  VersionDetail,
  VersionDiff,
  VersionView,
} from '../../../services/registry/src/index.ts'

export function printJson(value: unknown) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

export function printRegistered(detail: VersionDetail) {
  const files = Object.entries(detail.files).map(
    ([name, f]) => `${name} sha256:${f.sha256.slice(0, 12)}… (${f.size} bytes)`,
  )
  console.log(
    `registered ${detail.model} version ${detail.version} (${detail.stage}): ${files.join(', ')}`,
  )
}

export function printModels(models: ModelView[]) {
  if (models.length === 0) console.log('no models registered')
  for (const model of models) {
    console.log(`${model.name}  ${aliasLine(model)}`)
    for (const v of model.versions) console.log(`  ${versionLine(v)}`)
  }
}

/** A model with its versions' lineage and holdout metrics, and its audit trail. */
export function printModel(model: ModelView) {
  console.log(`${model.name}  ${aliasLine(model)}\n\nversions:`)
  for (const v of model.versions) {
    console.log(`  ${versionLine(v)}`)
    const lineage = Object.entries(v.lineage).filter(([, value]) => value !== null)
    if (lineage.length)
      console.log(`      lineage: ${lineage.map(([k, value]) => `${k}=${value}`).join(' ')}`)
    const holdout = v.metrics?.holdout
    if (holdout) console.log(`      metrics: ${JSON.stringify(holdout)}`)
  }
  console.log('\naudit:')
  const older = model.audit_total - model.audit.length
  if (older > 0) console.log(`  (${older} older entries not shown)`)
  for (const entry of model.audit) console.log(`  ${auditLine(entry)}`)
}

export function printMaterialized(models: MaterializedModel[], outDir: string) {
  for (const m of models) {
    const served = m.versions.map((v) => `${v.version} (${v.alias})`).join(', ')
    const removed = m.removed.length ? `; removed ${m.removed.join(', ')}` : ''
    console.log(`${m.name}: ${m.error ? 'not updated' : served}${removed}`)
    for (const s of m.skipped) {
      console.log(`  left out ${s.alias} version ${s.version}: ${s.reason}`)
    }
  }
  console.log(`model repository written to ${outDir}`)
}

function aliasLine(model: ModelView) {
  const { production, canary } = model.aliases
  const parts = [
    production
      ? `production: ${production.version}${production.previous_version ? ` (previous ${production.previous_version})` : ''}`
      : 'no production version',
    ...(canary ? [`canary: ${canary.version} at ${canary.weight}%`] : []),
  ]
  return parts.join(', ')
}

function versionLine(v: VersionView) {
  const aliases = v.aliases.filter((a) => a !== 'production')
  return `${String(v.version).padStart(3)}  ${v.stage.padEnd(10)}  ${v.created_at}  by ${v.created_by}${aliases.length ? `  [${aliases.join(', ')}]` : ''}`
}

function auditLine(e: AuditEntry) {
  const move =
    e.alias !== null
      ? `${e.alias}: ${e.from_version ?? '-'} → ${e.to_version ?? '-'}`
      : `version ${e.version}: ${e.from_stage ?? '-'} → ${e.to_stage ?? '-'}`
  return `${e.at}  ${e.actor}  ${e.action}  ${move}${e.reason ? `  (${e.reason})` : ''}`
}

export function printTransition(result: TransitionResult, json: boolean) {
  if (json) return printJson(result)
  for (const entry of result.audit) console.log(`${result.model}  ${auditLine(entry)}`)
  if (result.gate)
    console.log(`gate: ${result.gate.summary}${result.gate.forced ? ' (forced)' : ''}`)
}

export function printDiff(diff: VersionDiff) {
  console.log(
    `${diff.model}: version ${diff.from} (${diff.stage.from}) → ${diff.to} (${diff.stage.to})`,
  )
  for (const [name, f] of Object.entries(diff.files)) {
    console.log(`  ${name}: ${f.changed ? `${short(f.from)} → ${short(f.to)}` : 'unchanged'}`)
  }
  for (const part of ['config', 'metrics', 'lineage'] as const) {
    if (diff[part].length === 0) console.log(`  ${part}: unchanged`)
    for (const c of diff[part]) {
      const delta =
        c.delta === undefined
          ? ''
          : ` (${c.delta >= 0 ? '+' : ''}${Number(c.delta.toPrecision(4))})`
      console.log(
        `  ${part}.${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}${delta}`,
      )
    }
  }
}

const short = (digest: string | null) => (digest ? `${digest.slice(0, 12)}…` : 'none')
