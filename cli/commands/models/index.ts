import { readFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { resolve } from 'node:path'
import { startRegistryServer } from '../../../services/registry/src/adapter/node/index.ts'
import {
  type CanaryMetricsSource,
  GatewayMetricsSource,
  materialize,
  PrometheusMetricsSource,
  RegistryError,
  readVersionFolder,
} from '../../../services/registry/src/index.ts'
import { readCredentialsFile } from '../../../services/shared/credentials/file.ts'
import {
  type Command,
  closeOnSignal,
  defineCommand,
  defineGroup,
  InputError,
  type Leaf,
  list,
  listenOptions,
  toNumber,
  toPort,
  UsageError,
} from '../../args.ts'
import { defaultModelsDir, embeddedRegistryOptions } from '../../home.ts'
import { CONNECTION, refusalsAsInput, withRegistry } from './connection.ts'
import {
  printDiff,
  printJson,
  printMaterialized,
  printModel,
  printModels,
  printRegistered,
  printTransition,
} from './print.ts'

const CHANGE = {
  ...CONNECTION,
  reason: { type: 'string', value: 'R', description: 'why, kept in the audit trail' },
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

const OUT = { type: 'string', value: 'DIR', description: 'the model repository to write' } as const

const build = defineCommand({
  summary:
    'Trains the demo models on real data (vega-datasets) and writes a model repository (default $INFERA_HOME/models).',
  options: { out: OUT },
  run: async ({ values }) => {
    const outDir = values.out ?? defaultModelsDir()
    // Loaded here: the registry's commands need none of the training code.
    const { buildDemoModels } = await import('../../../training/demo/index.ts')
    const summaries = await buildDemoModels({ outDir })
    for (const summary of summaries) console.log(JSON.stringify(summary))
    console.log(`model repository written to ${outDir}`)
  },
})

const register = defineCommand({
  summary: 'Registers a version folder (model files, config.json, metrics.json, reference.csv).',
  options: {
    ...CHANGE,
    name: { type: 'string', value: 'N', required: true, description: 'the model' },
    dir: {
      type: 'string',
      value: 'VERSION_DIR',
      required: true,
      description: 'the folder holding the version',
    },
    version: { type: 'string', value: 'V', description: 'the version number (default the next)' },
    stage: {
      type: 'string',
      choices: ['candidate', 'staging'],
      default: 'candidate',
      description: 'the stage it starts in',
    },
    'data-location': { type: 'string', value: 'L', description: 'lineage: the training data' },
    'code-version': {
      type: 'string',
      value: 'C',
      description: 'lineage: the code that trained it',
    },
    'training-job': { type: 'string', value: 'J', description: 'lineage: the job that trained it' },
  },
  run: async ({ values }) => {
    const version =
      values.version === undefined ? undefined : versionArg(values.version, '--version')
    const folder = await readVersionFolder(resolve(values.dir))
    const detail = await withRegistry(values, (registry) =>
      registry.register({
        name: values.name,
        version,
        stage: values.stage,
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
    if (values.json) printJson(detail)
    else printRegistered(detail)
  },
})

const listModels = defineCommand({
  summary: 'Lists the models with their versions, stages and aliases.',
  options: CONNECTION,
  run: async ({ values }) => {
    const models = await withRegistry(values, (registry) => registry.list())
    if (values.json) printJson({ models })
    else printModels(models)
  },
})

const show = defineCommand({
  summary: 'Shows a model: its versions with lineage and metrics, and its audit trail.',
  args: ['NAME'],
  options: CONNECTION,
  run: async ({ values, positionals: [name = ''] }) => {
    const model = await withRegistry(values, (registry) => registry.show(name))
    if (values.json) printJson(model)
    else printModel(model)
  },
})

const promote = defineCommand({
  summary:
    'Promotes a version through the evaluation gate, directly or as a weighted canary that the canary controller promotes or rolls back on the SLO.',
  args: ['NAME', 'VERSION'],
  options: {
    ...CHANGE,
    to: {
      type: 'string',
      choices: ['production', 'staging'],
      required: true,
      description: 'the target',
    },
    holdout: {
      type: 'string',
      value: 'CSV',
      description: 'held-out rows the gate scores the version and production on',
    },
    margin: {
      type: 'string',
      value: 'X',
      description: 'how much worse than production it may score, below 1 (0.01 is 1%)',
    },
    canary: {
      type: 'string',
      value: 'PERCENT',
      description: 'to production as a canary taking this share of traffic',
    },
    force: { type: 'boolean', description: 'past a refusing gate (needs --reason)' },
  },
  run: async ({ values, positionals }) => {
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
    const result = await withRegistry(values, (registry) =>
      registry.promote(name, version, {
        to: values.to,
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
})

const rollback = defineCommand({
  summary: 'Puts the previous production version back.',
  args: ['NAME'],
  options: CHANGE,
  run: async ({ values, positionals: [name = ''] }) => {
    const change = { actor: actor(), reason: values.reason }
    const result = await withRegistry(values, (registry) => registry.rollback(name, change))
    printTransition(result, values.json)
  },
})

const canary = defineCommand({
  summary: 'Sets the canary version and its share of traffic, or removes the canary.',
  args: ['NAME', '[VERSION]'],
  options: {
    ...CHANGE,
    weight: { type: 'string', value: 'PERCENT', description: "the canary's share of traffic" },
    remove: { type: 'boolean', description: 'removes the canary (give NAME only)' },
  },
  run: async ({ values, positionals }) => {
    const change = { actor: actor(), reason: values.reason }
    const [name = '', versionText] = positionals
    if (values.remove) {
      if (versionText !== undefined)
        throw new UsageError('--remove takes NAME only: the canary goes, whatever its version')
      const result = await withRegistry(values, (registry) =>
        registry.removeAlias(name, 'canary', change),
      )
      return printTransition(result, values.json)
    }
    const version = versionArg(versionText, 'VERSION')
    const weight = toNumber(values.weight, '--weight')
    if (weight === undefined) throw new UsageError('--weight PERCENT is required (or --remove)')
    const result = await withRegistry(values, (registry) =>
      registry.setAlias(name, 'canary', version, { ...change, weight }),
    )
    printTransition(result, values.json)
  },
})

const archive = defineCommand({
  summary: 'Archives a version: kept for the record, never served.',
  args: ['NAME', 'VERSION'],
  options: CHANGE,
  run: async ({ values, positionals }) => {
    const version = versionArg(positionals[1], 'VERSION')
    const change = { actor: actor(), reason: values.reason }
    const result = await withRegistry(values, (registry) =>
      registry.archive(positionals[0] as string, version, change),
    )
    printTransition(result, values.json)
  },
})

const diff = defineCommand({
  summary: 'Compares two versions: files, config, metrics and lineage.',
  args: ['NAME', 'V1', 'V2'],
  options: CONNECTION,
  run: async ({ values, positionals }) => {
    const [from, to] = [versionArg(positionals[1], 'V1'), versionArg(positionals[2], 'V2')]
    const diff = await withRegistry(values, (registry) =>
      registry.diff(positionals[0] as string, from, to),
    )
    if (values.json) printJson(diff)
    else printDiff(diff)
  },
})

const materializeCommand = defineCommand({
  summary:
    'Writes the production and canary versions into a model repository (default $INFERA_HOME/models) for a model server.',
  options: { ...CONNECTION, out: OUT },
  run: async ({ values }) => {
    const outDir = resolve(values.out ?? defaultModelsDir())
    const models = await withRegistry(values, (registry) => materialize(registry, outDir))
    if (values.json) printJson({ models })
    else printMaterialized(models, outDir)
    const failed = models.filter((m) => m.error)
    if (failed.length) throw new InputError(failed.map((m) => `${m.name}: ${m.error}`).join('\n'))
  },
})

const SERVE_OPTIONS = {
  ...listenOptions('8083'),
  credentials: {
    type: 'string',
    value: 'FILE',
    env: 'INFERA_CREDENTIALS',
    description: 'the tokens whose holders may change the registry (without: read-only over HTTP)',
  },
  'canary-gateway': {
    type: 'string',
    value: 'URL[,URL]',
    description: "runs the canary controller on each gateway replica's /metrics",
  },
  'canary-prometheus': {
    type: 'string',
    value: 'URL',
    description: 'runs the canary controller on the Prometheus scraping the gateways',
  },
  'canary-seconds': {
    type: 'string',
    value: 'N',
    description: 'how long a canary must stay within the SLO',
  },
  'canary-min-requests': {
    type: 'string',
    value: 'N',
    description: 'the requests a canary must answer before it is judged',
  },
} as const

const serve = defineCommand({
  summary:
    'Runs the model registry service: versions, promotion through the gate, canaries, rollback and the audit trail over HTTP, on the state under $INFERA_HOME/registry, or DATABASE_URL and INFERA_ARTIFACTS_S3 (s3://bucket/prefix).',
  options: SERVE_OPTIONS,
  run: async ({ values }) => {
    let credentials: ReturnType<typeof readCredentialsFile>
    try {
      credentials = readCredentialsFile(values.credentials)
    } catch (error) {
      throw new InputError((error as Error).message)
    }
    const server = await startRegistryServer({
      ...embeddedRegistryOptions(),
      port: toPort(values.port) as number,
      host: values.host,
      canary: canaryOptions(values),
      credentials,
    })
    if (credentials.length === 0) {
      console.error(
        'infera: no credentials (--credentials FILE or INFERA_CREDENTIALS): the registry is read-only over HTTP',
      )
    }
    closeOnSignal(server.close)
  },
})

/** Each action with the registry's refusals turned into plain messages. */
const refusingPlainly = (leaf: Leaf): Command => ({
  ...leaf,
  run: (argv, path) => refusalsAsInput(() => leaf.run(argv, path)),
})

export const command = defineGroup(
  'The model registry: versions with their files, config, metrics and lineage; promotion to production through the evaluation gate, directly or as a weighted canary; rollback; an append-only audit trail. Changes are audited under INFERA_ACTOR or the OS user (through a registry service: the holder of INFERA_REGISTRY_TOKEN).',
  Object.fromEntries(
    Object.entries({
      build,
      register,
      list: listModels,
      show,
      promote,
      rollback,
      canary,
      archive,
      diff,
      materialize: materializeCommand,
      serve,
    }).map(([name, leaf]) => [name, refusingPlainly(leaf)]),
  ),
)

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
