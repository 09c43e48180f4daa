// The inference server with the tracer of a bench mode (../tracers.ts): `traced.ts DIR MODE`.
import { startInferenceServer } from '../../src/adapter/node/index.ts'
import { tracerFor } from '../tracers.ts'

const [modelsDir, mode] = process.argv.slice(2) as [string, string]
const tracer = tracerFor(mode)
const server = await startInferenceServer({
  modelsDir,
  port: 0,
  host: '127.0.0.1',
  ...(tracer ? { tracer } : {}),
})
console.log(`listening ${server.port}`)
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))
