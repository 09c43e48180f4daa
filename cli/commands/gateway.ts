import { availableParallelism } from 'node:os'
import { startGatewayCluster } from '../../services/gateway/src/adapter/node/cluster/index.ts'
import { GatewayConfigError } from '../../services/gateway/src/index.ts'
import { startTracing } from '../../services/shared/tracing/node.ts'
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
  // On only when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set; OTEL_* configure it.
  // Each worker runs this command too, and so has its own exporter.
  const tracing = startTracing({
    serviceName: 'infera-gateway',
    logger: { warn: (message) => console.warn(`tracing: ${message}`) },
  })
  try {
    const server = await startGatewayCluster({
      workers,
      config: values.config,
      port: toPort(values.port) as number,
      // Loopback unless opened on purpose: the container image sets HOST=0.0.0.0.
      host: values.host,
      ...(redisUrl ? { redisUrl } : {}),
      ...(tracing ? { tracer: tracing.tracer('infera-gateway') } : {}),
    })
    closeOnSignal(async () => {
      await server.close()
      // After the server: the last requests' spans are exported too.
      await tracing?.shutdown()
    })
  } catch (error) {
    if (error instanceof GatewayConfigError) throw new InputError(error.message)
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`config file ${values.config} not found`)
    }
    throw error
  }
}
