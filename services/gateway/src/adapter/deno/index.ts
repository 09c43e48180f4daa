/**
 * The edge gateway on Deno: the same app as on Node, unmodified.
 *
 *   npx deno run --allow-net --allow-read --allow-env services/gateway/src/adapter/deno/index.ts \
 *     --config gateway.yaml --port 8080 [--host 0.0.0.0]
 *
 * Run it from the repository root: Deno reads the root package.json and takes hono, zod, yaml
 * and jose from the installed node_modules, so nothing is downloaded at run time. `--port 0`
 * picks a free port; the JSON line with `"url"` printed on listening names the real one.
 * SIGTERM or SIGINT stops the server after in-flight requests finish. With `registry` configured
 * the registry is read once before listening (the file's routes serve if that fails) and then
 * polled.
 */
import { createGateway, type GatewayConfig, parseGatewayConfig } from '../../index.ts'

// Only what this file uses, so `tsc` (Node types) checks it without Deno's lib.
declare const Deno: {
  args: string[]
  readTextFile(path: string): Promise<string>
  exit(code: number): never
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void
  serve(
    options: {
      port: number
      hostname: string
      onListen?: (addr: { hostname: string; port: number }) => void
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> }
}

const USAGE = 'usage: adapter/deno/index.ts --config FILE --port N [--host H]'

interface Flags {
  config: string
  port: number
  host: string
}

// `jsr:@std/cli` would be fetched over the network, which a deployment may not have.
function parseFlags(args: string[]): Flags {
  const values: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    const match = /^--(config|port|host)(?:=(.*))?$/.exec(arg)
    if (!match) throw new Error(`unknown argument ${arg}`)
    const value = match[2] ?? args[++i]
    if (value === undefined) throw new Error(`--${match[1]} needs a value`)
    values[match[1] as string] = value
  }
  if (!values.config) throw new Error('--config FILE is required')
  const port = Number(values.port ?? Number.NaN)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error('--port N is required (0-65535)')
  }
  return { config: values.config, port, host: values.host ?? '127.0.0.1' }
}

const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line))

let flags: Flags
let config: GatewayConfig
let gateway: ReturnType<typeof createGateway>
try {
  flags = parseFlags(Deno.args)
  config = parseGatewayConfig(await Deno.readTextFile(flags.config), flags.config)
  gateway = createGateway(config, { log })
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`)
  Deno.exit(2)
}

const { app } = gateway
await gateway.start()
const server = Deno.serve(
  {
    port: flags.port,
    hostname: flags.host,
    onListen: ({ hostname, port }) =>
      log({ msg: 'gateway listening', runtime: 'deno', url: `http://${hostname}:${port}` }),
  },
  // Deno's second argument is connection info, not Hono's env bindings.
  (request) => app.fetch(request),
)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  // Load balancers see /v2/health/ready turn 503 while in-flight requests finish.
  app.drain()
  void gateway.stop()
  // shutdown() lets in-flight requests finish before `finished` resolves.
  void server.shutdown()
}
Deno.addSignalListener('SIGTERM', stop)
Deno.addSignalListener('SIGINT', stop)
await server.finished
log({ msg: 'gateway stopped', runtime: 'deno' })
