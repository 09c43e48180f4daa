import { startInferenceServer } from '../../services/inference/src/adapter/node/index.ts'
import { MODEL_CONTROL_MODES } from '../../services/inference/src/index.ts'
import { readCredentialsFile } from '../../services/shared/credentials/file.ts'
import {
  closeOnSignal,
  defineCommand,
  InputError,
  list,
  listenOptions,
  type Parsed,
  toNumber,
  toPort,
  UsageError,
} from '../args.ts'
import { commandTracing } from '../tracing.ts'

const OPTIONS = {
  models: {
    type: 'string',
    value: 'DIR',
    required: true,
    description: 'the Triton-style model repository to serve (and, with --registry, to write into)',
  },
  ...listenOptions('8080'),
  'poll-interval': {
    type: 'string',
    value: 'S',
    description: 'seconds between checks of the repository for new versions',
  },
  'capture-dir': { type: 'string', value: 'DIR', description: 'writes each prediction to DIR' },
  'capture-url': {
    type: 'string',
    value: 'DRIFT_URL',
    description: "posts each prediction to the drift service's ingest",
  },
  'capture-sample': {
    type: 'string',
    value: 'RATE',
    description: 'the share of predictions captured, 0 to 1 (default 1 when capturing)',
  },
  'capture-token-env': {
    type: 'string',
    value: 'VAR',
    default: 'INFERA_DRIFT_TOKEN',
    description:
      "the variable holding the drift service's bearer token (never on the command line)",
  },
  'max-body-bytes': {
    type: 'string',
    value: 'N',
    description: 'the largest request body accepted',
  },
  registry: {
    type: 'string',
    value: 'URL',
    description:
      'follows the model registry: writes its production and canary versions into --models',
  },
  'registry-models': {
    type: 'string',
    value: 'a,b',
    description: 'only these models of the registry (with --registry)',
  },
  'registry-sync-seconds': {
    type: 'string',
    value: 'N',
    description: 'seconds between reads of the registry (with --registry)',
  },
  'registry-drain-seconds': {
    type: 'string',
    value: 'N',
    description: 'how long a version that lost its alias keeps serving (with --registry)',
  },
  'model-control': {
    type: 'string',
    choices: MODEL_CONTROL_MODES,
    default: 'none',
    description:
      "the repository API's load and unload: refused (403), or allowed with a token of scope inference:model-control",
  },
  credentials: {
    type: 'string',
    value: 'FILE',
    env: 'INFERA_CREDENTIALS',
    description: 'the tokens accepted for model control',
  },
} as const

export const command = defineCommand({
  summary: 'Serves a Triton-style model repository over the Open Inference Protocol and KServe V1.',
  options: OPTIONS,
  run,
})

async function run({ values }: Parsed<typeof OPTIONS>) {
  let credentials: ReturnType<typeof readCredentialsFile>
  try {
    credentials = readCredentialsFile(values.credentials)
  } catch (error) {
    throw new InputError((error as Error).message)
  }
  const sample = toNumber(values['capture-sample'], '--capture-sample')
  if (sample !== undefined && sample > 1)
    throw new UsageError('--capture-sample must be from 0 to 1')
  if (
    !values.registry &&
    (values['registry-models'] !== undefined ||
      values['registry-sync-seconds'] ||
      values['registry-drain-seconds'])
  ) {
    throw new UsageError(
      '--registry-models, --registry-sync-seconds and --registry-drain-seconds need --registry URL',
    )
  }
  // The drift service's ingest token comes from the environment, never argv (which `ps` shows).
  const tokenEnv = values['capture-token-env']
  const captureToken = process.env[tokenEnv] || undefined
  if (tokenEnv !== OPTIONS['capture-token-env'].default && !captureToken)
    throw new UsageError(`--capture-token-env ${tokenEnv}: the variable ${tokenEnv} is not set`)
  const registryModels = list(values['registry-models'])
  // An empty list would follow nothing at all: surely a mistake, not a wish.
  if (registryModels?.length === 0) {
    throw new UsageError('--registry-models needs model names, as in --registry-models a,b')
  }
  const { tracer, closing } = commandTracing('infera-inference')
  const server = await startInferenceServer({
    modelsDir: values.models,
    port: toPort(values.port) as number,
    host: values.host,
    ...optional(
      'pollIntervalSeconds',
      toNumber(values['poll-interval'], '--poll-interval', { min: 0.05 }),
    ),
    ...optional('captureDir', values['capture-dir']),
    ...optional('captureUrl', values['capture-url']),
    ...optional('captureToken', captureToken),
    captureSampleRate: sample ?? (values['capture-dir'] || values['capture-url'] ? 1 : 0),
    ...optional('maxBodyBytes', toNumber(values['max-body-bytes'], '--max-body-bytes', { min: 1 })),
    ...optional('registryUrl', values.registry),
    ...optional('registryModels', registryModels),
    ...optional(
      'registrySyncMs',
      milliseconds(values['registry-sync-seconds'], '--registry-sync-seconds', 0.05),
    ),
    ...optional(
      'registryDrainMs',
      milliseconds(values['registry-drain-seconds'], '--registry-drain-seconds', 0),
    ),
    modelControl: values['model-control'],
    credentials,
    ...optional('tracer', tracer),
  })
  closeOnSignal(closing(server.close))
}

const milliseconds = (value: string | undefined, flag: string, min: number) => {
  const seconds = toNumber(value, flag, { min })
  return seconds === undefined ? undefined : seconds * 1000
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>
