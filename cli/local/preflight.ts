// What `infera start` checks before it trains or opens anything: a platform already running under
// the same INFERA_HOME, and ports another process holds. Each is one line naming what to change.
import { createServer } from 'node:net'
import { InputError } from '../args.ts'
import { inferaHome, runningPlatform } from '../home.ts'

/** The variable that sets each service's port. */
export const PORT_VARIABLES = {
  gateway: 'PORT',
  inference: 'INFERENCE_PORT',
  drift: 'DRIFT_PORT',
  registry: 'REGISTRY_PORT',
} as const

export type ServicePorts = Record<keyof typeof PORT_VARIABLES, number>

/** Where the local platform listens unless told otherwise: loopback, these ports. */
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORTS: ServicePorts = {
  gateway: 8080,
  inference: 8082,
  drift: 8081,
  registry: 8083,
}

/** Refuses to start a second platform on the INFERA_HOME a live one uses (its database is locked). */
export function checkNotRunning() {
  const running = runningPlatform()
  if (running) {
    throw new InputError(
      `Infera is already running under ${inferaHome()} (pid ${running.pid}, since ${running.started_at}): ` +
        `gateway ${running.urls.gateway}. Stop it (Ctrl-C, or kill ${running.pid}), or start another ` +
        'platform with its own INFERA_HOME and ports.',
    )
  }
}

/** Refuses ports that can't be listened on, before minutes of training would end in EADDRINUSE. */
export async function checkPorts(host: string, ports: ServicePorts) {
  for (const [service, port] of Object.entries(ports) as [keyof ServicePorts, number][]) {
    // 0 asks the system for a free port: nothing to check.
    if (port === 0) continue
    // Inference listens on loopback whatever the host: clients go through the gateway.
    const on = service === 'inference' ? '127.0.0.1' : host
    const problem = await listenProblem(on, port)
    if (problem) {
      throw new InputError(
        `port ${port} (the ${service}'s) on ${on} ${problem}: set ${PORT_VARIABLES[service]} to a free port, ` +
          `e.g. ${PORT_VARIABLES[service]}=${port + 100} npm start`,
      )
    }
  }
}

/** Why a listener can't open host:port (in use, not permitted), or undefined if it can. */
function listenProblem(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'EADDRINUSE'
          ? 'is in use by another process'
          : error.code === 'EACCES'
            ? 'needs privileges'
            : `can't be listened on (${error.code ?? error.message})`,
      ),
    )
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}

/** A listen that failed anyway (a port taken since the check): the same message, no stack trace. */
export function portError(
  error: unknown,
  host: string,
  ports: ServicePorts,
): InputError | undefined {
  const { code, port } = error as NodeJS.ErrnoException & { port?: number }
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return undefined
  const service = (Object.keys(ports) as (keyof ServicePorts)[]).find((s) => ports[s] === port)
  const variable = service
    ? PORT_VARIABLES[service]
    : 'PORT, INFERENCE_PORT, DRIFT_PORT or REGISTRY_PORT'
  return new InputError(
    `port ${port ?? '?'} on ${host} ${code === 'EADDRINUSE' ? 'is in use by another process' : 'needs privileges'}: set ${variable} to a free port`,
  )
}
