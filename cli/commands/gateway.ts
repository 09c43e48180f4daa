import { availableParallelism } from 'node:os'
import { startGatewayCluster } from '../../services/gateway/src/adapter/node/cluster/index.ts'
import { GatewayConfigError } from '../../services/gateway/src/index.ts'
import {
  closeOnSignal,
  defineCommand,
  InputError,
  listenOptions,
  type Parsed,
  toNumber,
  toPort,
  UsageError,
} from '../args.ts'
import { commandTracing } from '../tracing.ts'

const OPTIONS = {
  config: {
    type: 'string',
    value: 'FILE',
    required: true,
    description:
      'the gateway config (JSON or YAML): routes, API keys, rate limits; a "registry" key makes it follow the model registry\'s production and canary versions',
  },
  ...listenOptions('8080', ' (the container image sets 0.0.0.0)'),
  redis: {
    type: 'string',
    value: 'URL',
    env: 'REDIS_URL',
    description: 'shares rate limits between replicas',
  },
  workers: {
    type: 'string',
    value: 'N',
    description: 'processes sharing the port, 1 to 64 (default: one per core available)',
  },
} as const

export const command = defineCommand({
  summary: 'Runs the edge gateway (auth, rate limits, canary and shadow routing) on Node.',
  options: OPTIONS,
  run,
})

async function run({ values }: Parsed<typeof OPTIONS>) {
  const redisUrl = values.redis
  // One process per core the process may use, unless told.
  const workers = toNumber(values.workers, '--workers', { min: 1 }) ?? availableParallelism()
  if (!Number.isInteger(workers) || workers > 64) {
    throw new UsageError(`--workers must be an integer from 1 to 64, got '${values.workers}'`)
  }
  // Each worker runs this command too, and so has its own exporter.
  const { tracer, closing } = commandTracing('infera-gateway')
  try {
    const server = await startGatewayCluster({
      workers,
      config: values.config,
      port: toPort(values.port) as number,
      // Loopback unless opened on purpose: the container image sets HOST=0.0.0.0.
      host: values.host,
      ...(redisUrl ? { redisUrl } : {}),
      ...(tracer ? { tracer } : {}),
    })
    closeOnSignal(closing(server.close))
  } catch (error) {
    if (error instanceof GatewayConfigError) throw new InputError(error.message)
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`config file ${values.config} not found`)
    }
    throw error
  }
}
