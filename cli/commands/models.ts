import { readFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { resolve } from 'node:path'
import {
  ArtifactError,
  type AuditEntry,
  type CanaryMetricsSource,
  GatewayMetricsSource,
  type ModelRegistry,
  type ModelView,
  materialize,
  openRegistry,
  PrometheusMetricsSource,
  type PromotionTarget,
  RegistryClient,
  RegistryError,
  readVersionFolder,
  startRegistryServer,
  type TransitionResult,
  type VersionDiff,
  type VersionView,
} from '../../services/registry/src/index.ts'
import { readCredentialsFile } from '../../services/shared/credentials/file.ts'
import { DirectoryInUseError } from '../../services/shared/database/index.ts'
import {
  closeOnSignal,
  expectPositionals,
  InputError,
  list,
  parseCommandArgs,
  toNumber,
  toPort,
  UsageError,
} from '../args.ts'
import { defaultModelsDir, embeddedRegistryOptions, localToken, registryUrlFile } from '../home.ts'

export async function run(argv: string[]) {
  const [action = '', ...rest] = argv
  if (!Object.hasOwn(ACTIONS, action)) {
    throw new UsageError(
      `unknown models action '${action}'; try one of ${Object.keys(ACTIONS).join(', ')} (infera --help)`,
    )
  }
  try {
    await ACTIONS[action]?.(rest)
  } catch (error) {
    // The registry's refusals name the problem: the message alone, exit code 1.
    if (
      error instanceof RegistryError ||
      error instanceof ArtifactError ||
      error instanceof DirectoryInUseError
    ) {
      throw new InputError(`${error.message}${hintFor(error)}`)
    }
    throw error
  }
}

function hintFor(error: Error) {
  if (error instanceof DirectoryInUseError)
    return '\n(while a registry service runs, set INFERA_REGISTRY_URL to go through it)'
  if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
    return `\n(the registry service takes changes only with a token of scope registry:write: set ${TOKEN_ENV})`
  }
  return ''
}

/** The token `infera models` sends to a registry service for changes. */
const TOKEN_ENV = 'INFERA_REGISTRY_TOKEN'

async function build(argv: string[]) {
  const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string' } })
  expectPositionals(positionals, 0)
  const outDir = values.out ?? defaultModelsDir()
  // Loaded here: the registry's commands need none of the training code.
  const { buildDemoModels } = await import('../../training/demo/index.ts')
  const summaries = await buildDemoModels({ outDir })
  for (const summary of summaries) console.log(JSON.stringify(summary))
  console.log(`model repository written to ${outDir}`)
}

/**
 * The registry service at INFERA_REGISTRY_URL; else the embedded registry in this process, or —
 * when a local platform holds its database — the service that platform runs.
 */
async function withRegistry<T>(work: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const url = process.env.INFERA_REGISTRY_URL
  const registry = url
    ? new RegistryClient(url, { token: process.env[TOKEN_ENV] || undefined })
    : await openEmbeddedRegistry()
  try {
    return await work(registry)
  } finally {
    await registry.close()
  }
}

async function openEmbeddedRegistry(): Promise<ModelRegistry> {
  try {
    return await openRegistry(embeddedRegistryOptions())
  } catch (error) {
    const running = await readFile(registryUrlFile(), 'utf8').catch(() => '')
    if (error instanceof DirectoryInUseError && running.trim()) {
      // The local platform's own service: its operator token, unless the variable names another.
      return new RegistryClient(running.trim(), { token: localToken(TOKEN_ENV) })
    }
    throw error
  }
}

const CHANGE = {
  reason: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

/**
 * Who a change is audited under in process: INFERA_ACTOR, else the OS user. Through a registry
 * service the service decides: the name of the credential INFERA_REGISTRY_TOKEN belongs to.
 */
const actor = () => process.env.INFERA_ACTOR || userInfo().username

function versionArg(value: string | undefined, what: string): number {
  if (!value || !/^[1-9][0-9]{0,9}$/.test(value)) {
    throw new UsageError(`${what} must be a positive whole number, not '${value ?? ''}'`)
  }
  return Number(value)
}

function printJson(value: unknown) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

const ACTIONS: Record<string, (argv: string[]) => Promise<void>> = {
  build,
  serve,

  async register(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...CHANGE,
      name: { type: 'string' },
      dir: { type: 'string' },
      version: { type: 'string' },
      stage: { type: 'string', default: 'candidate' },
      'data-location': { type: 'string' },
      'code-version': { type: 'string' },
      'training-job': { type: 'string' },
    })
    expectPositionals(positionals, 0)
    if (!values.name || !values.dir)
      throw new UsageError('--name NAME and --dir VERSION_DIR are required')
    if (values.stage !== 'candidate' && values.stage !== 'staging') {
      throw new UsageError(`--stage must be candidate or staging, not '${values.stage}'`)
    }
    const version =
      values.version === undefined ? undefined : versionArg(values.version, '--version')
    const folder = await readVersionFolder(resolve(values.dir))
    const detail = await withRegistry((registry) =>
      registry.register({
        name: values.name as string,
        version,
        stage: values.stage as 'candidate' | 'staging',
        ...folder,
        lineage: {
          data_location: values['data-location'] ?? null,
          code_version: values['code-version'] ?? null,
          training_job: values['training-job'] ?? null,
        },
        actor: actor(),
        reason: values.reason,
      }),
    )
    if (values.json) return printJson(detail)
    const files = Object.entries(detail.files).map(
      ([name, f]) => `${name} sha256:${f.sha256.slice(0, 12)}… (${f.size} bytes)`,
    )
    console.log(
      `registered ${detail.model} version ${detail.version} (${detail.stage}): ${files.join(', ')}`,
    )
  },

  async list(argv) {
    const { values, positionals } = parseCommandArgs(argv, { json: CHANGE.json })
    expectPositionals(positionals, 0)
    const models = await withRegistry((registry) => registry.list())
    if (values.json) return printJson({ models })
    if (models.length === 0) console.log('no models registered')
    for (const model of models) {
      console.log(`${model.name}  ${aliasLine(model)}`)
      for (const v of model.versions) console.log(`  ${versionLine(v)}`)
    }
  },

  async show(argv) {
    const { values, positionals } = parseCommandArgs(argv, { json: CHANGE.json })
    expectPositionals(positionals, 1, 'NAME')
    const model = await withRegistry((registry) => registry.show(positionals[0] as string))
    if (values.json) return printJson(model)
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
  },

  async promote(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...CHANGE,
      to: { type: 'string' },
      holdout: { type: 'string' },
      margin: { type: 'string' },
      force: { type: 'boolean', default: false },
      canary: { type: 'string' },
    })
    expectPositionals(positionals, 2, 'NAME VERSION')
    if (values.to !== 'production' && values.to !== 'staging') {
      throw new UsageError(`--to must be production or staging, not '${values.to ?? ''}'`)
    }
    const canaryWeight = toNumber(values.canary, '--canary')
    if (canaryWeight !== undefined && values.to !== 'production') {
      throw new UsageError(
        '--canary PERCENT promotes to production through a canary: use --to production',
      )
    }
    const margin = toNumber(values.margin, '--margin')
    if (margin !== undefined && margin >= 1)
      throw new UsageError('--margin must be below 1 (0.01 is 1%)')
    const holdoutCsv = values.holdout === undefined ? undefined : await readText(values.holdout)
    const [name, version] = [positionals[0] as string, versionArg(positionals[1], 'VERSION')]
    const result = await withRegistry((registry) =>
      registry.promote(name, version, {
        to: values.to as PromotionTarget,
        holdoutCsv,
        margin,
        force: values.force,
        canary: canaryWeight === undefined ? undefined : { weight: canaryWeight },
        actor: actor(),
        reason: values.reason,
      }),
    ).catch((error) => {
      // A refusal by the gate still comes with its report, which --json prints.
      if (values.json && error instanceof RegistryError && error.details.gate) {
        printJson({ error: error.message, gate: error.details.gate })
      }
      throw error
    })
    printTransition(result, values.json)
  },

  async rollback(argv) {
    const { values, positionals } = parseCommandArgs(argv, CHANGE)
    expectPositionals(positionals, 1, 'NAME')
    const change = { actor: actor(), reason: values.reason }
    const result = await withRegistry((registry) =>
      registry.rollback(positionals[0] as string, change),
    )
    printTransition(result, values.json)
  },

  async canary(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...CHANGE,
      weight: { type: 'string' },
      remove: { type: 'boolean', default: false },
    })
    const change = { actor: actor(), reason: values.reason }
    if (values.remove) {
      expectPositionals(positionals, 1, 'NAME')
      const name = positionals[0] as string
      const result = await withRegistry((registry) => registry.removeAlias(name, 'canary', change))
      return printTransition(result, values.json)
    }
    expectPositionals(positionals, 2, 'NAME VERSION')
    const weight = toNumber(values.weight, '--weight')
    if (weight === undefined) throw new UsageError('--weight PERCENT is required (or --remove)')
    const [name, version] = [positionals[0] as string, versionArg(positionals[1], 'VERSION')]
    const result = await withRegistry((registry) =>
      registry.setAlias(name, 'canary', version, { ...change, weight }),
    )
    printTransition(result, values.json)
  },

  async archive(argv) {
    const { values, positionals } = parseCommandArgs(argv, CHANGE)
    expectPositionals(positionals, 2, 'NAME VERSION')
    const version = versionArg(positionals[1], 'VERSION')
    const change = { actor: actor(), reason: values.reason }
    const result = await withRegistry((registry) =>
      registry.archive(positionals[0] as string, version, change),
    )
    printTransition(result, values.json)
  },

  async diff(argv) {
    const { values, positionals } = parseCommandArgs(argv, { json: CHANGE.json })
    expectPositionals(positionals, 3, 'NAME V1 V2')
    const [from, to] = [versionArg(positionals[1], 'V1'), versionArg(positionals[2], 'V2')]
    const diff = await withRegistry((registry) => registry.diff(positionals[0] as string, from, to))
    if (values.json) return printJson(diff)
    printDiff(diff)
  },

  async materialize(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string' },
      json: CHANGE.json,
    })
    expectPositionals(positionals, 0)
    const outDir = resolve(values.out ?? defaultModelsDir())
    const models = await withRegistry((registry) => materialize(registry, outDir))
    if (values.json) printJson({ models })
    else {
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
    const failed = models.filter((m) => m.error)
    if (failed.length) throw new InputError(failed.map((m) => `${m.name}: ${m.error}`).join('\n'))
  },
}

async function serve(argv: string[]) {
  const { values, positionals } = parseCommandArgs(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    credentials: { type: 'string' },
    'canary-gateway': { type: 'string' },
    'canary-prometheus': { type: 'string' },
    'canary-seconds': { type: 'string' },
    'canary-min-requests': { type: 'string' },
  })
  expectPositionals(positionals, 0)
  const credentialsFile = values.credentials ?? process.env.INFERA_CREDENTIALS
  let credentials: ReturnType<typeof readCredentialsFile>
  try {
    credentials = readCredentialsFile(credentialsFile)
  } catch (error) {
    throw new InputError((error as Error).message)
  }
  const server = await startRegistryServer({
    ...embeddedRegistryOptions(),
    port: toPort(values.port) ?? 8083,
    host: values.host ?? process.env.HOST ?? '127.0.0.1',
    canary: canaryOptions(values),
    credentials,
  })
  if (credentials.length === 0) {
    console.error(
      'infera: no credentials (--credentials FILE or INFERA_CREDENTIALS): the registry is read-only over HTTP',
    )
  }
  closeOnSignal(server.close)
}

/**
 * The canary controller `serve` runs when told where to read the gateway's counters: from each
 * gateway replica, or from the Prometheus that scrapes them all.
 */
export function canaryOptions(values: {
  'canary-gateway'?: string
  'canary-prometheus'?: string
  'canary-seconds'?: string
  'canary-min-requests'?: string
}) {
  const gateways = list(values['canary-gateway']) ?? []
  const prometheus = values['canary-prometheus']
  const analysisSeconds = toNumber(values['canary-seconds'], '--canary-seconds')
  const minRequests = toNumber(values['canary-min-requests'], '--canary-min-requests', { min: 1 })
  if (gateways.length > 0 && prometheus !== undefined) {
    throw new UsageError(
      'give --canary-gateway or --canary-prometheus, not both: the counters come from one',
    )
  }
  if (gateways.length === 0 && prometheus === undefined) {
    if (analysisSeconds !== undefined || minRequests !== undefined) {
      throw new UsageError(
        '--canary-seconds and --canary-min-requests need --canary-gateway URL or --canary-prometheus URL',
      )
    }
    return undefined
  }
  if (minRequests !== undefined && !Number.isInteger(minRequests)) {
    throw new UsageError(`--canary-min-requests must be a whole number, not ${minRequests}`)
  }
  let metrics: CanaryMetricsSource
  try {
    metrics =
      prometheus === undefined
        ? // The gateways' /metrics take a scrape token (their config's metrics.sha256).
          new GatewayMetricsSource(gateways, {
            token: process.env.INFERA_GATEWAY_METRICS_TOKEN || undefined,
          })
        : new PrometheusMetricsSource(prometheus)
  } catch (error) {
    const flag = prometheus === undefined ? '--canary-gateway' : '--canary-prometheus'
    throw new UsageError(`${flag}: ${(error as Error).message}`)
  }
  return { metrics, policy: { analysisSeconds, minRequests } }
}

async function readText(path: string) {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new InputError(`can't read ${path}: ${(error as Error).message}`)
  }
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

function printTransition(result: TransitionResult, json: boolean) {
  if (json) return printJson(result)
  for (const entry of result.audit) console.log(`${result.model}  ${auditLine(entry)}`)
  if (result.gate)
    console.log(`gate: ${result.gate.summary}${result.gate.forced ? ' (forced)' : ''}`)
}

function printDiff(diff: VersionDiff) {
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
