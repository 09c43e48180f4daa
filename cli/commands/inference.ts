import { MODEL_CONTROL_MODES, startInferenceServer } from '../../services/inference/src/index.ts'
import { readCredentialsFile } from '../../services/shared/credentials/file.ts'
import {
  closeOnSignal,
  InputError,
  list,
  parseCommandArgs,
  toNumber,
  toPort,
  UsageError,
} from '../args.ts'

export async function run(argv: string[]) {
  const { values } = parseCommandArgs(argv, {
    models: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'poll-interval': { type: 'string' },
    'capture-dir': { type: 'string' },
    'capture-url': { type: 'string' },
    'capture-sample': { type: 'string' },
    'capture-token-env': { type: 'string' },
    'max-body-bytes': { type: 'string' },
    registry: { type: 'string' },
    'registry-models': { type: 'string' },
    'registry-sync-seconds': { type: 'string' },
    'registry-drain-seconds': { type: 'string' },
    'model-control': { type: 'string' },
    credentials: { type: 'string' },
  })
  if (!values.models) throw new UsageError('--models DIR is required')
  const modelControl = values['model-control'] ?? 'none'
  if (!(MODEL_CONTROL_MODES as readonly string[]).includes(modelControl)) {
    throw new UsageError(
      `--model-control must be one of ${MODEL_CONTROL_MODES.join(', ')}, got '${modelControl}'`,
    )
  }
  let credentials: ReturnType<typeof readCredentialsFile>
  try {
    credentials = readCredentialsFile(values.credentials ?? process.env.INFERA_CREDENTIALS)
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
  const tokenEnv = values['capture-token-env'] ?? 'INFERA_DRIFT_TOKEN'
  const captureToken = process.env[tokenEnv] || undefined
  if (values['capture-token-env'] !== undefined && !captureToken)
    throw new UsageError(`--capture-token-env ${tokenEnv}: the variable ${tokenEnv} is not set`)
  const registryModels = list(values['registry-models'])
  // An empty list would follow nothing at all: surely a mistake, not a wish.
  if (registryModels?.length === 0) {
    throw new UsageError('--registry-models needs model names, as in --registry-models a,b')
  }
  const server = await startInferenceServer({
    modelsDir: values.models,
    port: toPort(values.port) ?? 8080,
    host: values.host ?? process.env.HOST ?? '127.0.0.1',
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
    modelControl: modelControl as (typeof MODEL_CONTROL_MODES)[number],
    credentials,
  })
  closeOnSignal(server.close)
}

const milliseconds = (value: string | undefined, flag: string, min: number) => {
  const seconds = toNumber(value, flag, { min })
  return seconds === undefined ? undefined : seconds * 1000
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>
