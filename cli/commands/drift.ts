import { writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import { startDriftServer } from '../../services/drift/src/adapter/node/index.ts'
import { compareFiles, comparisonEvaluation } from '../../services/drift/src/compare/index.ts'
import { DriftInputError, METHODS, type Method } from '../../services/drift/src/detect/index.ts'
import { renderDriftReport } from '../../services/drift/src/report/index.ts'
import {
  LocalTrainer,
  type LocalTrainerVersions,
  SageMakerTrainer,
  type Trainer,
} from '../../services/drift/src/retrain/index.ts'
import { TableError } from '../../services/drift/src/table/index.ts'
import { RegistryClient } from '../../services/registry/src/index.ts'
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
import { defaultCaptureDir, defaultModelsDir, inferaHome } from '../home.ts'

export async function run(argv: string[]) {
  const [action, ...rest] = argv
  if (action === 'compare') return compare(rest)
  if (action === 'serve') return serve(rest)
  throw new UsageError(`unknown drift action '${action ?? ''}'; try 'infera drift compare --help'`)
}

async function compare(argv: string[]) {
  const { values } = parseCommandArgs(argv, {
    reference: { type: 'string' },
    current: { type: 'string' },
    format: { type: 'string', default: 'json' },
    out: { type: 'string' },
    method: { type: 'string', default: 'auto' },
    threshold: { type: 'string' },
    numerical: { type: 'string' },
    categorical: { type: 'string' },
  })
  if (!values.reference || !values.current) {
    throw new UsageError('--reference FILE and --current FILE are required')
  }
  if (values.format !== 'json' && values.format !== 'html') {
    throw new UsageError(`--format must be json or html, not '${values.format}'`)
  }
  const method = values.method as string
  if (method !== 'auto' && !(METHODS as readonly string[]).includes(method)) {
    throw new UsageError(`--method must be auto or one of ${METHODS.join(', ')}, not '${method}'`)
  }
  const threshold = toNumber(values.threshold, '--threshold')
  let output: string
  try {
    const options = {
      reference: values.reference,
      current: values.current,
      method: method as Method | 'auto',
      ...(threshold === undefined ? {} : { threshold }),
      numerical: list(values.numerical) ?? [],
      categorical: list(values.categorical) ?? [],
    }
    const comparison = await compareFiles(options)
    output =
      values.format === 'html'
        ? renderDriftReport(comparisonEvaluation(comparison, options), {
            title: `Data drift: ${basename(values.current)} against ${basename(values.reference)}`,
          })
        : `${JSON.stringify(comparison.report, null, 2)}\n`
  } catch (error) {
    if (error instanceof TableError || error instanceof DriftInputError)
      throw new InputError(error.message)
    throw error
  }
  if (values.out) await writeFile(values.out, output)
  else process.stdout.write(output)
}

async function serve(argv: string[]) {
  const { values } = parseCommandArgs(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    credentials: { type: 'string' },
    models: { type: 'string' },
    registry: { type: 'string' },
    'canary-weight': { type: 'string' },
    'database-url': { type: 'string' },
    'data-dir': { type: 'string' },
    'window-kind': { type: 'string', default: 'count' },
    'window-size': { type: 'string', default: '1000' },
    'window-slide': { type: 'string' },
    'sample-size': { type: 'string' },
    'sketch-ks': { type: 'boolean', default: false },
    'labelled-dir': { type: 'string' },
    trainer: { type: 'string', default: 'none' },
    'retrain-after': { type: 'string' },
    'retrain-cooldown': { type: 'string' },
    region: { type: 'string' },
    'sagemaker-role-arn': { type: 'string' },
    'sagemaker-image': { type: 'string' },
    'capture-s3-uri': { type: 'string' },
    'output-s3-uri': { type: 'string' },
  })
  const kind = values['window-kind']
  if (kind !== 'count' && kind !== 'time')
    throw new UsageError('--window-kind must be count or time')
  // Time windows are given in seconds on the command line, milliseconds inside.
  const unit = kind === 'time' ? 1000 : 1
  const size = (toNumber(values['window-size'], '--window-size', { min: 1 }) as number) * unit
  const slide = toNumber(values['window-slide'], '--window-slide', { min: 1 })
  const sampleSize = toNumber(values['sample-size'], '--sample-size', { min: 10 })
  if (values.models && values.registry) {
    throw new UsageError('--models and --registry are alternatives: give one')
  }
  const canaryWeight = toNumber(values['canary-weight'], '--canary-weight')
  if (canaryWeight !== undefined) {
    if (!(canaryWeight > 0 && canaryWeight < 100))
      throw new UsageError('--canary-weight must be a percentage above 0 and below 100')
    if (!values.registry || (values.trainer !== 'local' && values.trainer !== 'sagemaker'))
      throw new UsageError('--canary-weight needs --registry URL and --trainer local or sagemaker')
  }
  // Where references come from, where the local trainer reads and puts versions, and where the
  // SageMaker trainer registers its jobs' models.
  const models: LocalTrainerVersions = values.registry
    ? {
        // Registering and promoting retrained versions needs registry:write.
        registry: new RegistryClient(values.registry, {
          token: process.env.INFERA_REGISTRY_TOKEN,
        }),
        ...(canaryWeight === undefined ? {} : { promotion: { canaryWeight } }),
      }
    : { modelsDir: values.models ?? defaultModelsDir() }
  const labelledDir = values['labelled-dir'] ?? defaultCaptureDir()
  const retrainAfter = toNumber(values['retrain-after'], '--retrain-after', { min: 1 })
  const cooldown = toNumber(values['retrain-cooldown'], '--retrain-cooldown')
  const credentials = readCredentialsFile(values.credentials ?? process.env.INFERA_CREDENTIALS)
  const server = await startDriftServer({
    port: toPort(values.port) ?? 8081,
    // Loopback unless asked: ingest and labels decide what retraining learns.
    host: values.host ?? process.env.HOST ?? '127.0.0.1',
    credentials,
    ...('registry' in models ? { registry: models.registry } : { modelsDir: models.modelsDir }),
    labelledDir,
    sketchKs: values['sketch-ks'] as boolean,
    window: {
      kind,
      size,
      ...(slide === undefined ? {} : { slide: slide * unit }),
      ...(sampleSize === undefined ? {} : { sampleSize }),
    },
    ...((values['database-url'] ?? process.env.DATABASE_URL)
      ? { databaseUrl: values['database-url'] ?? process.env.DATABASE_URL }
      : { dataDir: values['data-dir'] ?? `${inferaHome()}/drift` }),
    ...trainerOption(values, models, labelledDir),
    retrain: {
      ...(retrainAfter === undefined ? {} : { consecutiveWindows: retrainAfter }),
      ...(cooldown === undefined ? {} : { cooldownMs: cooldown * 1000 }),
    },
  })
  closeOnSignal(server.close)
}

function trainerOption(
  values: Record<string, string | boolean | undefined>,
  models: LocalTrainerVersions,
  captureDir: string,
): { trainer?: Trainer } {
  switch (values.trainer) {
    case 'none':
      return {}
    case 'local':
      return { trainer: new LocalTrainer({ ...models, captureDir }) }
    case 'sagemaker': {
      const needed = ['sagemaker-role-arn', 'sagemaker-image', 'capture-s3-uri', 'output-s3-uri']
      const missing = needed.filter((flag) => !values[flag])
      if (missing.length)
        throw new UsageError(`--trainer sagemaker needs ${missing.map((f) => `--${f}`).join(', ')}`)
      const region = (values.region as string | undefined) ?? process.env.AWS_REGION ?? 'us-east-1'
      // With --registry, a completed job's model.tar.gz is read from S3 and registered.
      const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL
      return {
        trainer: new SageMakerTrainer({
          region,
          roleArn: values['sagemaker-role-arn'] as string,
          image: values['sagemaker-image'] as string,
          captureS3Uri: values['capture-s3-uri'] as string,
          outputS3Uri: values['output-s3-uri'] as string,
          ...('registry' in models && {
            registry: models.registry,
            ...(models.promotion && { promotion: models.promotion }),
            ...(endpoint && { s3: new S3Client({ region, endpoint, forcePathStyle: true }) }),
          }),
        }),
      }
    }
    default:
      throw new UsageError('--trainer must be none, local or sagemaker')
  }
}
