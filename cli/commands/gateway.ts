import { startGatewayServer } from '../../services/gateway/adapter/node/index.ts'
import { GatewayConfigError } from '../../services/gateway/src/index.ts'
import { closeOnSignal, InputError, parseCommandArgs, toPort, UsageError } from '../args.ts'

export async function run(argv: string[]) {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    redis: { type: 'string' },
  })
  if (!values.config) throw new UsageError('--config FILE is required')
  const redisUrl = values.redis ?? process.env.REDIS_URL
  try {
    const server = await startGatewayServer({
      config: values.config,
      port: toPort(values.port) ?? 8080,
      // Loopback unless opened on purpose: the container image sets HOST=0.0.0.0.
      host: values.host ?? process.env.HOST ?? '127.0.0.1',
      ...(redisUrl ? { redisUrl } : {}),
    })
    closeOnSignal(server.close)
  } catch (error) {
    if (error instanceof GatewayConfigError) throw new InputError(error.message)
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`config file ${values.config} not found`)
    }
    throw error
  }
}
