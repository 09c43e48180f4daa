/**
 * The gateway on every core: a primary that forks `workers` processes sharing one listening socket
 * (node:cluster hands each new connection to the next worker), each running the same app through
 * `startGatewayServer`. The primary serves no requests: it replaces workers that die, drains them
 * all on close, and gathers every worker's metrics for whichever worker a scrape reached.
 */
import cluster, { type Worker } from 'node:cluster'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { DRAIN_LIMITS, type FetchHandler } from '../../../../../shared/node-server/index.ts'
import { METRICS_PATH } from '../../../index.ts'
import { type GatewayServerOptions, loadGatewayConfig, startGatewayServer } from '../index.ts'
import { mergeExpositions } from './metrics.ts'

export interface GatewayClusterOptions extends GatewayServerOptions {
  /** Processes serving requests; 1 serves in this process, without a primary. */
  workers: number
}

/** How long the primary waits for each worker's metrics, and a worker for the primary's answer. */
const METRICS_TIMEOUT_MS = 2000
/** A worker that dies this soon after it started is restarted only after RESTART_DELAY_MS. */
const QUICK_DEATH_MS = 5000
const RESTART_DELAY_MS = 1000

// Messages between the primary and its workers (cluster IPC).
type Message =
  /** worker → primary: a scrape came in with these headers; send me every other worker's text. */
  | { type: 'gateway:metrics-wanted'; id: string; headers: [string, string][] }
  /** primary → worker: answer this scrape with your own metrics. */
  | { type: 'gateway:metrics-collect'; id: string; headers: [string, string][] }
  /** worker → primary: the text of its own /metrics, or null if it refused. */
  | { type: 'gateway:metrics-report'; id: string; text: string | null }
  /** primary → worker: the other workers' texts for the scrape `id`. */
  | { type: 'gateway:metrics-gathered'; id: string; texts: string[] }
  /** primary → worker: drain and exit. */
  | { type: 'gateway:shutdown' }

const isMessage = (value: unknown): value is Message =>
  typeof (value as Message | null)?.type === 'string' &&
  (value as Message).type.startsWith('gateway:')

/**
 * The gateway on `workers` processes, or in this process for one. Called the same way in the
 * primary and in each worker (a worker runs the same command again): the primary forks, a worker
 * serves. The primary resolves once every worker listens, with the port they share.
 */
export async function startGatewayCluster(options: GatewayClusterOptions) {
  const { workers, ...server } = options
  if (!(Number.isInteger(workers) && workers >= 1)) {
    throw new RangeError(`workers must be a whole number of at least 1, got ${workers}`)
  }
  if (workers === 1) return startGatewayServer(server)
  return cluster.isPrimary ? startPrimary(options) : startWorker(server, workers)
}

async function startWorker(options: GatewayServerOptions, count: number) {
  const id = cluster.worker?.id ?? 0
  let appFetch: FetchHandler | undefined
  const gathering = new Map<string, (texts: string[]) => void>()
  // A primary that is gone takes the worker down with it (node:cluster): nothing to report.
  const send = (message: Message) => process.send?.(message, undefined, undefined, () => {})

  /** This worker's own /metrics as the app answers it, for the same credentials. */
  const ownMetrics = (headers: [string, string][]) =>
    (appFetch as FetchHandler)(
      new Request(`http://worker${METRICS_PATH}`, { headers }),
      {} as Parameters<FetchHandler>[1],
    )

  const serve = (fetch: FetchHandler): FetchHandler => {
    appFetch = fetch
    return async (request, env) => {
      const response = await fetch(request, env)
      if (response.status !== 200 || request.method !== 'GET') return response
      if (new URL(request.url).pathname !== METRICS_PATH) return response
      // Authorised by this worker's app: ask the primary for the others' with the same headers.
      const scrape = randomUUID()
      const others = await new Promise<string[]>((resolve) => {
        const timer = setTimeout(() => {
          gathering.delete(scrape)
          resolve([])
        }, METRICS_TIMEOUT_MS * 2)
        gathering.set(scrape, (texts) => {
          clearTimeout(timer)
          gathering.delete(scrape)
          resolve(texts)
        })
        send({ type: 'gateway:metrics-wanted', id: scrape, headers: [...request.headers] })
      })
      const merged = mergeExpositions([await response.text(), ...others])
      const headers = new Headers(response.headers)
      headers.delete('content-length')
      return new Response(merged, { status: 200, headers })
    }
  }

  const gateway = await startGatewayServer({ ...options, worker: { id, count }, serve })
  process.on('message', async (message: unknown) => {
    if (!isMessage(message)) return
    if (message.type === 'gateway:metrics-gathered') gathering.get(message.id)?.(message.texts)
    if (message.type === 'gateway:metrics-collect') {
      const response = await ownMetrics(message.headers)
      const text = response.status === 200 ? await response.text() : null
      send({ type: 'gateway:metrics-report', id: message.id, text })
    }
    if (message.type === 'gateway:shutdown') {
      await gateway.close()
      process.exit(0)
    }
  })
  return gateway
}

async function startPrimary(options: GatewayClusterOptions) {
  // Checked once here, so a bad config fails the command instead of every worker in turn.
  await loadGatewayConfig(options.config)
  const logger = (options.logger ?? pino({ name: 'gateway' })).child({ worker: 'primary' })
  let closing: Promise<void> | undefined
  // Until every worker listens, a worker that exits fails the start instead of being replaced.
  let started = false
  const reports = new Map<string, (worker: Worker, text: string | null) => void>()

  // With a callback, a worker that has just died is an error passed here, not an 'error' event
  // that would end the primary; whoever waits for its answer stops waiting at the time limit.
  const tell = (worker: Worker, message: Message) =>
    worker.send(message, (error: Error | null) => {
      if (error)
        logger.warn({ event: 'worker_unreachable', worker: worker.id, error: error.message })
    })

  const fork = () => {
    const worker = cluster.fork()
    const forkedAt = Date.now()
    worker.on('message', (message: unknown) => {
      if (!isMessage(message)) return
      if (message.type === 'gateway:metrics-wanted') void gatherFor(worker, message)
      if (message.type === 'gateway:metrics-report') reports.get(message.id)?.(worker, message.text)
    })
    worker.once('exit', (code, signal) => {
      if (closing || !started) return
      const lived = Date.now() - forkedAt
      logger.error({ event: 'worker_exit', worker: worker.id, code, signal }, 'gateway worker died')
      setTimeout(() => closing || fork(), lived < QUICK_DEATH_MS ? RESTART_DELAY_MS : 0)
    })
    return worker
  }

  /** Every live worker but `asking` reports its own metrics; those slower than the limit are left out. */
  async function gatherFor(
    asking: Worker,
    { id, headers }: { id: string; headers: [string, string][] },
  ) {
    const others = live().filter((worker) => worker !== asking)
    const texts: string[] = []
    await new Promise<void>((resolve) => {
      const waiting = new Set(others)
      const done = () => {
        clearTimeout(timer)
        reports.delete(id)
        resolve()
      }
      const timer = setTimeout(() => {
        logger.warn({ event: 'metrics_timeout', workers: [...waiting].map((w) => w.id) })
        done()
      }, METRICS_TIMEOUT_MS)
      reports.set(id, (worker, text) => {
        if (!waiting.delete(worker)) return
        if (text !== null) texts.push(text)
        if (waiting.size === 0) done()
      })
      if (waiting.size === 0) done()
      for (const worker of others) tell(worker, { type: 'gateway:metrics-collect', id, headers })
    })
    if (!asking.isDead()) tell(asking, { type: 'gateway:metrics-gathered', id, texts })
  }

  const live = () =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead())

  // Every worker listens on the one socket the primary holds, so all report the same port.
  const forked = Array.from({ length: options.workers }, fork)
  const port = await new Promise<number>((resolve, reject) => {
    let listening = 0
    const onListening = (_worker: Worker, address: { port: number }) => {
      if (++listening < options.workers) return
      cluster.off('listening', onListening)
      cluster.off('exit', onEarlyExit)
      started = true
      resolve(address.port)
    }
    const onEarlyExit = (worker: Worker, code: number | null) => {
      cluster.off('listening', onListening)
      cluster.off('exit', onEarlyExit)
      closing = Promise.resolve()
      for (const other of forked) other.process.kill('SIGKILL')
      reject(new Error(`gateway worker ${worker.id} exited with code ${code} before listening`))
    }
    cluster.on('listening', onListening)
    cluster.on('exit', onEarlyExit)
  })

  const close = () => {
    closing ??= (async () => {
      await Promise.all(
        live().map(
          (worker) =>
            new Promise<void>((resolve) => {
              // Each worker drains for at most DRAIN_LIMITS.maxMs; one stuck past that is killed.
              const kill = setTimeout(
                () => worker.process.kill('SIGKILL'),
                DRAIN_LIMITS.maxMs + 5000,
              )
              worker.once('exit', () => {
                clearTimeout(kill)
                resolve()
              })
              tell(worker, { type: 'gateway:shutdown' })
            }),
        ),
      )
      logger.info('gateway stopped')
      logger.flush()
    })()
    return closing
  }

  const url = `http://${options.host ?? '127.0.0.1'}:${port}`
  logger.info({ url, workers: options.workers }, 'gateway cluster ready')
  return { url, port, close }
}
