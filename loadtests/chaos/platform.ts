// The platform as separate processes, each of which a fault can stop: a private PostgreSQL, Redis,
// the registry, drift, two inference servers and the gateway in front of them, all on free ports
// of 127.0.0.1, with credentials wired between them as the platform wires its own.

import { once } from 'node:events'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashApiKey } from '../../services/gateway/src/auth/index.ts'
import { bearer, credentialFor, generateToken } from '../../services/shared/credentials/index.ts'
import { buildDemoModels } from '../../training/demo/index.ts'
import { CaptureTap } from './capture-tap.ts'
import { type PrivatePostgres, startPrivatePostgres } from './postgres.ts'
import { freePort, httpReady, Service, tcpReady } from './processes.ts'
import { registerVersion, type VersionFiles } from './registry-writes.ts'

/** The registry's model (followed by inference and the gateway, captured to drift). */
export const REGISTRY_MODEL = 'mpg'
/** The same model straight from each server's repository folder: where versions are dropped. */
export const FILE_MODEL = 'mpg_file'
/** A route to an upstream that answers too late. */
export const SLOW_MODEL = 'slow'
/** The scratch model the registry writes go to. */
export const WRITES_MODEL = 'chaos_writes'
/** The gateway's deadline for the slow route. */
export const SLOW_DEADLINE_MS = 500

const localhost = (port: number) => `http://127.0.0.1:${port}`

export interface ChaosPlatform {
  root: string
  gateway: string
  apiKey: string
  registryUrl: string
  registryToken: string
  /** A valid version of the model, for drops into the repositories and registry writes. */
  model: VersionFiles
  inference: { service: Service; url: string; modelsDir: string; captureDir: string }[]
  services: { redis: Service; registry: Service; drift: Service; gateway: Service }
  postgres: PrivatePostgres
  tap: CaptureTap
  close: () => Promise<void>
}

/** Answers after 10 s: later than any deadline the gateway gives it. */
async function startSlowUpstream(): Promise<Server> {
  const server = createServer((_req, res) => {
    const timer = setTimeout(() => res.end('{}'), 10_000)
    res.on('close', () => clearTimeout(timer))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
}

export async function startChaosPlatform(log: (line: string) => void): Promise<ChaosPlatform> {
  const root = mkdtempSync(join(tmpdir(), 'infera-chaos-'))
  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(root, { recursive: true, force: true }),
  ]
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  }
  try {
    const build = join(root, 'build')
    log('building the demo models ...')
    await buildDemoModels({ outDir: build })
    const model: VersionFiles = {
      onnx: readFileSync(join(build, REGISTRY_MODEL, '1', 'model.onnx')),
      config: JSON.parse(readFileSync(join(build, REGISTRY_MODEL, 'config.json'), 'utf8')),
    }

    // One token per client, each credential with only the scope its holder needs.
    const tokens = {
      apiKey: generateToken(),
      registry: generateToken(),
      drift: generateToken(),
      labels: generateToken(),
      modelControl: generateToken(),
    }
    const credentialsFile = join(root, 'credentials.json')
    const credentials = [
      await credentialFor('chaos-registry-writer', tokens.registry, ['registry:write']),
      await credentialFor('chaos-capture', tokens.drift, ['drift:ingest']),
      await credentialFor('chaos-labeller', tokens.labels, ['drift:labels']),
      await credentialFor('chaos-model-control', tokens.modelControl, ['inference:model-control']),
    ]
    writeFileSync(credentialsFile, JSON.stringify(credentials))
    const env = {
      INFERA_HOME: join(root, 'home'),
      INFERA_CREDENTIALS: credentialsFile,
      INFERA_REGISTRY_TOKEN: tokens.registry,
      INFERA_DRIFT_TOKEN: tokens.drift,
      INFERA_LABELS_TOKEN: tokens.labels,
      INFERA_MODEL_CONTROL_TOKEN: tokens.modelControl,
    }

    log('starting PostgreSQL (a private cluster) and Redis ...')
    const postgres = await startPrivatePostgres(`infera_chaos_${process.pid}`)
    cleanups.push(postgres.destroy)
    const redisPort = await freePort()
    const redis = new Service({
      name: 'redis',
      command: 'redis-server',
      args: [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      ready: tcpReady(redisPort),
    })
    const stops: Service[] = [redis]
    cleanups.push(async () => {
      for (const service of stops.reverse()) await service.stop()
    })
    await redis.start()

    log('starting the registry and seeding it ...')
    const registryUrl = localhost(await freePort())
    const registry = Service.infera(
      'registry',
      ['models', 'serve', '--port', new URL(registryUrl).port, '--host', '127.0.0.1'],
      httpReady(`${registryUrl}/health/ready`),
      { ...env, DATABASE_URL: postgres.url },
    )
    stops.push(registry)
    await registry.start()
    await seed(registryUrl, tokens.registry, {
      ...model,
      reference: readFileSync(join(build, REGISTRY_MODEL, '1', 'reference.csv')),
    })

    log('starting drift and two inference servers ...')
    const driftUrl = localhost(await freePort())
    const drift = Service.infera(
      'drift',
      [
        ...['drift', 'serve', '--port', new URL(driftUrl).port, '--host', '127.0.0.1'],
        ...['--registry', registryUrl, '--database-url', postgres.url, '--trainer', 'none'],
        ...['--window-size', '200', '--labelled-dir', join(root, 'labelled')],
      ],
      httpReady(`${driftUrl}/health/ready`),
      env,
    )
    stops.push(drift)
    const tap = await new CaptureTap(driftUrl).listen()
    cleanups.push(() => tap.close())
    const inference = await Promise.all(
      [1, 2].map(async (n) => {
        const url = localhost(await freePort())
        const modelsDir = join(root, `inference-${n}`, 'models')
        const captureDir = join(root, `inference-${n}`, 'capture')
        mkdirSync(join(modelsDir, FILE_MODEL), { recursive: true })
        cpSync(
          join(build, REGISTRY_MODEL, 'config.json'),
          join(modelsDir, FILE_MODEL, 'config.json'),
        )
        mkdirSync(join(modelsDir, FILE_MODEL, '1'))
        writeFileSync(join(modelsDir, FILE_MODEL, '1', 'model.onnx'), model.onnx)
        const service = Service.infera(
          `inference-${n}`,
          [
            ...[
              'inference',
              '--models',
              modelsDir,
              '--port',
              new URL(url).port,
              '--host',
              '127.0.0.1',
            ],
            ...[
              '--poll-interval',
              '0.5',
              '--registry',
              registryUrl,
              '--registry-sync-seconds',
              '1',
            ],
            ...['--registry-drain-seconds', '5', '--capture-dir', captureDir],
            ...['--capture-url', tap.url, '--capture-sample', '1'],
          ],
          httpReady(`${url}/v2/models/${FILE_MODEL}/ready`),
          env,
        )
        stops.push(service)
        return { service, url, modelsDir, captureDir }
      }),
    )
    await Promise.all([drift.start(), ...inference.map((i) => i.service.start())])

    log('starting the gateway ...')
    const slow = await startSlowUpstream()
    cleanups.push(() => {
      slow.closeAllConnections()
      slow.close()
    })
    const gatewayUrl = localhost(await freePort())
    const configFile = join(root, 'gateway.json')
    const targets = inference.map((i) => i.url)
    // Retries reach the other replica when one refuses connections; the registry's mpg route
    // borrows the file route's retries and deadline.
    const served = { retries: 2, timeout_ms: 5000 }
    writeFileSync(
      configFile,
      JSON.stringify({
        registry: { url: registryUrl, poll_seconds: 1, targets },
        routes: [
          { model: REGISTRY_MODEL, variants: [{ name: 'local', weight: 100, targets }], ...served },
          {
            model: SLOW_MODEL,
            variants: [
              {
                name: 'slow',
                weight: 100,
                targets: [localhost((slow.address() as { port: number }).port)],
              },
            ],
            retries: 0,
            timeout_ms: SLOW_DEADLINE_MS,
          },
          { model: '*', variants: [{ name: 'local', weight: 100, targets }], ...served },
        ],
        auth: {
          api_keys: [{ tenant: 'chaos', sha256: await hashApiKey(tokens.apiKey), models: ['*'] }],
        },
        rate_limits: { default: { rate: 100_000, burst: 100_000 } },
        health_checks: { interval_ms: 500, unhealthy_after: 2, healthy_after: 2 },
        breaker: { failures: 3, open_ms: 2000 },
      }),
    )
    const gateway = Service.infera(
      'gateway',
      [
        ...['gateway', '--config', configFile, '--port', new URL(gatewayUrl).port],
        ...['--host', '127.0.0.1', '--redis', `redis://127.0.0.1:${redisPort}`],
      ],
      httpReady(`${gatewayUrl}/v2/health/ready`),
      env,
    )
    stops.push(gateway)
    await gateway.start()

    return {
      root,
      gateway: gatewayUrl,
      apiKey: tokens.apiKey,
      registryUrl,
      registryToken: tokens.registry,
      model,
      inference,
      services: { redis, registry, drift, gateway },
      postgres,
      tap,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** The model's first version, in production: what inference and the gateway follow. */
async function seed(url: string, token: string, model: VersionFiles) {
  const registered = await registerVersion(url, token, REGISTRY_MODEL, model)
  if (!registered.ok) throw new Error(`registering ${REGISTRY_MODEL}: ${await registered.text()}`)
  const { version } = (await registered.json()) as { version: number }
  const promoted = await fetch(`${url}/v1/models/${REGISTRY_MODEL}/versions/${version}/promote`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ to: 'production', reason: 'infera chaos' }),
  })
  if (!promoted.ok) throw new Error(`promoting ${REGISTRY_MODEL}: ${await promoted.text()}`)
}
