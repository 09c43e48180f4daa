import { writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import { startDriftServer } from '../../services/drift/src/adapter/node/index.ts'
import {
  compareFiles,
  comparisonEvaluation,
  DriftInputError,
  EMBEDDING_METHODS,
  LocalTrainer,
  type LocalTrainerVersions,
  METHODS,
  renderDriftReport,
  SageMakerTrainer,
  TableError,
  type Trainer,
} from '../../services/drift/src/index.ts'
import { RegistryClient } from '../../services/registry/src/client/index.ts'
import { readCredentialsFile } from '../../services/shared/credentials/file.ts'
import {
  closeOnSignal,
  defineCommand,
  defineGroup,
  InputError,
  list,
  listenOptions,
  type OptionValues,
  toNumber,
  toPort,
  UsageError,
} from '../args.ts'
import { defaultCaptureDir, defaultModelsDir, inferaHome } from '../home.ts'

const COMPARE_OPTIONS = {
  reference: { type: 'string', value: 'FILE', description: 'the reference CSV', required: true },
  current: { type: 'string', value: 'FILE', description: 'the current CSV', required: true },
  format: {
    type: 'string',
    choices: ['json', 'html'],
    default: 'json',
    description: 'the report: JSON, or an HTML page with a chart per column',
  },
  out: { type: 'string', value: 'FILE', description: 'where to write the report (default stdout)' },
  method: {
    type: 'string',
    value: 'METHOD',
    choices: ['auto', ...METHODS],
    default: 'auto',
    description: "the test for every column; auto picks Evidently's by column type and size",
  },
  threshold: {
    type: 'string',
    value: 'X',
    description: "the drift threshold of the method (default the method's own)",
  },
  numerical: { type: 'string', value: 'a,b', description: 'columns to treat as numerical' },
  categorical: { type: 'string', value: 'c,d', description: 'columns to treat as categorical' },
  'embedding-method': {
    type: 'string',
    value: 'METHOD',
    choices: EMBEDDING_METHODS,
    default: 'model',
    description:
      'the test of vector columns (cells like "[0.1, 0.2]"), Evidently\'s embedding drift',
  },
} as const

async function compare({ values }: { values: OptionValues<typeof COMPARE_OPTIONS> }) {
  const method = values.method
  const threshold = toNumber(values.threshold, '--threshold')
  let output: string
  try {
    const options = {
      reference: values.reference,
      current: values.current,
      method,
      ...(threshold === undefined ? {} : { threshold }),
      numerical: list(values.numerical) ?? [],
      categorical: list(values.categorical) ?? [],
      embeddingMethod: values['embedding-method'],
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

const SERVE_OPTIONS = {
  ...listenOptions('8081', ' (0.0.0.0: every interface)'),
  credentials: {
    type: 'string',
    value: 'FILE',
    env: 'INFERA_CREDENTIALS',
    description: 'the tokens accepted for ingest and labels',
  },
  models: {
    type: 'string',
    value: 'DIR',
    description: 'the model repository with the reference data (default $INFERA_HOME/models)',
  },
  registry: {
    type: 'string',
    value: 'URL',
    description:
      'the model registry to read references from and register retrained versions in (instead of --models; INFERA_REGISTRY_TOKEN for writes)',
  },
  'canary-weight': {
    type: 'string',
    value: 'P',
    description:
      'retrained versions go to production as a canary at P% (needs --registry and a trainer)',
  },
  'database-url': {
    type: 'string',
    value: 'URL',
    env: 'DATABASE_URL',
    description: 'PostgreSQL for windows and history',
  },
  'data-dir': {
    type: 'string',
    value: 'DIR',
    description: 'the embedded database without a database URL (default $INFERA_HOME/drift)',
  },
  'window-kind': {
    type: 'string',
    choices: ['count', 'time'],
    default: 'count',
    description: 'windows of N rows, or of N seconds',
  },
  'window-size': {
    type: 'string',
    value: 'N',
    default: '1000',
    description: 'rows or seconds per window',
  },
  'window-slide': {
    type: 'string',
    value: 'N',
    description: 'rows or seconds between windows (default: the size, windows do not overlap)',
  },
  'sample-size': {
    type: 'string',
    value: 'N',
    description: 'rows sampled per window (at least 10)',
  },
  'sketch-ks': {
    type: 'boolean',
    description: 'KS tests on quantile sketches: bounded memory, approximate',
  },
  'embedding-method': {
    type: 'string',
    value: 'METHOD',
    choices: EMBEDDING_METHODS,
    default: 'model',
    description: "the test of vector features (captured embeddings), Evidently's embedding drift",
  },
  'labelled-dir': {
    type: 'string',
    value: 'DIR',
    description: 'where labelled captures are kept for retraining (default $INFERA_HOME/capture)',
  },
  trainer: {
    type: 'string',
    choices: ['none', 'local', 'sagemaker'],
    default: 'none',
    description: 'who retrains after drift',
  },
  'retrain-after': {
    type: 'string',
    value: 'N',
    description: 'drifted windows in a row that start retraining',
  },
  'retrain-cooldown': {
    type: 'string',
    value: 'S',
    description: 'seconds between retraining jobs of a model',
  },
  region: {
    type: 'string',
    value: 'R',
    env: 'AWS_REGION',
    default: 'us-east-1',
    description: "SageMaker's region",
  },
  'sagemaker-role-arn': {
    type: 'string',
    value: 'ARN',
    description: 'the role SageMaker jobs run as',
  },
  'sagemaker-image': { type: 'string', value: 'URI', description: 'the training image' },
  'capture-s3-uri': {
    type: 'string',
    value: 'S3',
    description: 'the captured rows the jobs train on',
  },
  'output-s3-uri': {
    type: 'string',
    value: 'S3',
    description: "where the jobs' models are written",
  },
} as const

async function serve({ values }: { values: OptionValues<typeof SERVE_OPTIONS> }) {
  const kind = values['window-kind']
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
  const credentials = readCredentialsFile(values.credentials)
  const server = await startDriftServer({
    port: toPort(values.port) as number,
    // Loopback unless asked: ingest and labels decide what retraining learns.
    host: values.host,
    credentials,
    ...('registry' in models ? { registry: models.registry } : { modelsDir: models.modelsDir }),
    labelledDir,
    sketchKs: values['sketch-ks'],
    embeddings: { method: values['embedding-method'] },
    window: {
      kind,
      size,
      ...(slide === undefined ? {} : { slide: slide * unit }),
      ...(sampleSize === undefined ? {} : { sampleSize }),
    },
    ...(values['database-url']
      ? { databaseUrl: values['database-url'] }
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
  values: OptionValues<typeof SERVE_OPTIONS>,
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
      const missing = needed.filter((flag) => !values[flag as keyof typeof values])
      if (missing.length)
        throw new UsageError(`--trainer sagemaker needs ${missing.map((f) => `--${f}`).join(', ')}`)
      const { region } = values
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
  }
}

export const command = defineGroup(
  'Drift detection: compare two files once, or run the drift service over live traffic.',
  {
    compare: defineCommand({
      summary:
        "Compares two CSV files column by column (Evidently's tests and conventions) and reports drift.",
      options: COMPARE_OPTIONS,
      run: compare,
    }),
    serve: defineCommand({
      summary:
        'Runs the drift service: ingest, windows, evaluations, history, metrics, reports, retraining.',
      options: SERVE_OPTIONS,
      run: serve,
    }),
  },
)
