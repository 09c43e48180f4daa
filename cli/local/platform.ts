// The local platform: registry, drift service, inference and gateway in one process, each on its
// own port and talking to the others over HTTP as they would in a cluster, with embedded state
// under INFERA_HOME. `infera start` runs it; the drift demo and the end-to-end test start it too.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { THRESHOLDS } from '../../dashboards/rules/thresholds.ts'
import { startDriftServer } from '../../services/drift/src/adapter/node/index.ts'
import { LocalTrainer } from '../../services/drift/src/index.ts'
import { startGatewayServer } from '../../services/gateway/src/adapter/node/index.ts'
import { hashApiKey, validateGatewayConfig } from '../../services/gateway/src/index.ts'
import { startInferenceServer } from '../../services/inference/src/adapter/node/index.ts'
import { startRegistryServer } from '../../services/registry/src/adapter/node/index.ts'
import {
  CanaryController,
  type CanaryPolicy,
  GatewayMetricsSource,
  RegistryClient,
} from '../../services/registry/src/index.ts'
import { generateToken } from '../../services/shared/credentials/index.ts'
import type { DemoProgress } from '../../training/demo/index.ts'
import {
  defaultCaptureDir,
  embeddedRegistryOptions,
  inferaHome,
  localTokensFile,
  removePlatformFile,
  writePlatformFile,
} from '../home.ts'
import { commandTracing } from '../tracing.ts'
import {
  ACCEPTS,
  credentialsFor,
  GATEWAY_METRICS_ENV,
  generateTokens,
  HOLDERS,
  writeClientTokens,
} from './credentials.ts'
import { type LogTarget, ServiceLogs } from './logs.ts'
import { DEFAULT_HOST, DEFAULT_PORTS, type ServicePorts } from './preflight.ts'
import { seedDemoModels } from './seed.ts'

export interface LocalPlatformOptions {
  /** Where the gateway, registry and drift listen: loopback unless opened (HOST, --host). */
  host: string
  ports: ServicePorts
  apiKey: string
  /** Rows per drift window: small, so a demo's traffic shows results soon. */
  windowRows: number
  /** Drifted windows in a row that start a retraining job. */
  retrainAfterWindows: number
  /** The share of traffic a retrained version takes as a canary, in percent. */
  canaryWeight: number
  /** How much worse than production a retrained version may score on the held-out captures. */
  gateMargin: number
  canary: Partial<CanaryPolicy>
  /** How often inference and gateway follow the registry. */
  syncSeconds: number
  /** Where the services log (see LogTarget); 'files' writes under `$INFERA_HOME/logs`. */
  logs: LogTarget
  /** Progress lines of the start-up itself. */
  log: (line: string) => void
  /** The demo models' training, model by model and epoch by epoch, on a first start. */
  onTrainingProgress?: (progress: DemoProgress) => void
}

export const LOCAL_DEFAULTS: LocalPlatformOptions = {
  host: DEFAULT_HOST,
  ports: DEFAULT_PORTS,
  apiKey: 'infera-dev',
  windowRows: 500,
  retrainAfterWindows: THRESHOLDS.driftWindows,
  canaryWeight: 10,
  // A holdout of a few hundred captured rows moves by a percent per row: a 1% margin would refuse
  // an equally good version by chance about one time in four.
  gateMargin: 0.05,
  canary: { analysisSeconds: 300, minRequests: 100, intervalSeconds: 5 },
  syncSeconds: 2,
  logs: 'files',
  log: console.log,
}

export type LocalPlatform = Awaited<ReturnType<typeof startLocalPlatform>>

export async function startLocalPlatform(options: LocalPlatformOptions) {
  const home = inferaHome()
  const captureDir = defaultCaptureDir()
  // What the registry's production and canary versions are materialized into for the model server.
  const servingDir = join(home, 'serving')
  const logs = new ServiceLogs(options.logs, join(home, 'logs'))
  const logging = (service: string) => {
    const logger = logs.logger(service)
    return logger ? { logger } : {}
  }
  // Front to back, so that requests already accepted still reach the services behind; the logs
  // last, with what the services said as they stopped.
  const closers: (() => Promise<void>)[] = [async () => logs.close()]
  const close = async () => {
    for (const stop of closers.splice(0).reverse()) await stop()
  }
  // With OTEL_EXPORTER_OTLP_ENDPOINT set: one SDK for the process, each service a tracer of its
  // own; shut down after the services, so that their last spans go out too.
  const { tracing } = commandTracing('infera')
  if (tracing) closers.push(tracing.shutdown)
  // The platform's own tokens: nothing outside it changes what is served without one.
  const tokens = generateTokens()
  // What the canary controller (and whoever else may) reads the gateway's /metrics with.
  const metricsToken = generateToken()
  const tokensFile = localTokensFile()
  try {
    await writeClientTokens(tokensFile, {
      [HOLDERS.operator.env]: tokens.operator,
      [HOLDERS.labeller.env]: tokens.labeller,
      [GATEWAY_METRICS_ENV]: metricsToken,
    })
    closers.push(() => rm(tokensFile, { force: true }))

    options.log(
      `starting the model registry (${process.env.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${join(home, 'registry')}`}) ...`,
    )
    const registry = await startRegistryServer({
      ...embeddedRegistryOptions(),
      ...logging('registry'),
      port: options.ports.registry,
      host: options.host,
      credentials: await credentialsFor(ACCEPTS.registry, tokens),
    })
    closers.push(registry.close)
    // In process, under the actor 'infera start'.
    const seeded = await seedDemoModels(registry.registry, join(home, 'build'), {
      log: options.log,
      ...(options.onTrainingProgress && { onProgress: options.onTrainingProgress }),
    })

    // The drift service reaches the registry over HTTP, as it does in a cluster; its candidates
    // are audited as drift-retrainer.
    options.log(
      `starting the drift service (${process.env.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${join(home, 'drift')}`}) ...`,
    )
    const registryClient = new RegistryClient(registry.url, { token: tokens.driftRetrainer })
    const drift = await startDriftServer({
      ...logging('drift'),
      port: options.ports.drift,
      host: options.host,
      credentials: await credentialsFor(ACCEPTS.drift, tokens),
      registry: registryClient,
      labelledDir: captureDir,
      ...(process.env.DATABASE_URL
        ? { databaseUrl: process.env.DATABASE_URL }
        : { dataDir: join(home, 'drift') }),
      window: { kind: 'count', size: options.windowRows },
      retrain: { consecutiveWindows: options.retrainAfterWindows },
      trainer: new LocalTrainer({
        registry: registryClient,
        captureDir,
        promotion: { canaryWeight: options.canaryWeight, margin: options.gateMargin },
      }),
    })
    closers.push(drift.close)

    options.log('starting inference, the gateway and the canary controller ...')
    // Inference listens on loopback only: clients go through the gateway.
    const inference = await startInferenceServer({
      ...logging('inference'),
      modelsDir: servingDir,
      registryUrl: registry.url,
      registrySyncMs: options.syncSeconds * 1000,
      port: options.ports.inference,
      host: '127.0.0.1',
      captureDir,
      captureUrl: drift.url,
      captureToken: tokens.inference,
      captureSampleRate: 1,
      ...(tracing ? { tracer: tracing.tracer('infera-inference') } : {}),
    })
    closers.push(inference.close)

    const gateway = await startGatewayServer({
      ...logging('gateway'),
      config: validateGatewayConfig(
        {
          registry: {
            url: registry.url,
            poll_seconds: options.syncSeconds,
            targets: [inference.url],
          },
          // Models the registry doesn't hold still reach the model server's own repository.
          routes: [
            { model: '*', variants: [{ name: 'local', weight: 100, targets: [inference.url] }] },
          ],
          auth: {
            api_keys: [{ tenant: 'dev', sha256: await hashApiKey(options.apiKey), models: ['*'] }],
          },
          metrics: { sha256: [await hashApiKey(metricsToken)] },
          rate_limits: { default: { rate: 10_000, burst: 20_000 } },
        },
        'the local gateway config',
      ),
      port: options.ports.gateway,
      host: options.host,
      ...(tracing ? { tracer: tracing.tracer('infera-gateway') } : {}),
    })
    closers.push(gateway.close)

    const canary = new CanaryController({
      registry: registry.registry,
      metrics: new GatewayMetricsSource(gateway.url, { token: metricsToken }),
      policy: options.canary,
      promRegistry: registry.promRegistry,
      ...logging('canary'),
    })
    canary.start()
    closers.push(() => canary.stop())

    // Everything listens: the CLI may find this platform now (`infera models`, a second start).
    writePlatformFile({
      gateway: gateway.url,
      inference: inference.url,
      drift: drift.url,
      registry: registry.url,
    })
    closers.push(async () => removePlatformFile())

    return {
      apiKey: options.apiKey,
      /** The labeller's and the operator's tokens, for clients in this process (the demo). */
      tokens: {
        labeller: tokens.labeller,
        operator: tokens.operator,
        gatewayMetrics: metricsToken,
      },
      windowRows: options.windowRows,
      /** Each service's log file, when the logs go to files. */
      logFiles: Object.fromEntries(
        ['gateway', 'inference', 'drift', 'registry', 'canary'].map((s) => [s, logs.file(s)]),
      ),
      servingDir,
      captureDir,
      seeded,
      registry,
      drift,
      inference,
      gateway,
      canary,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
