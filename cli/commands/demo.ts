import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { THRESHOLDS } from '../../dashboards/rules/thresholds.ts'
import { expectPositionals, parseCommandArgs, toNumber, UsageError } from '../args.ts'
import { localToken, localTokensFile } from '../home.ts'
import { GATEWAY_METRICS_ENV, HOLDERS } from '../local/credentials.ts'
import { runDriftDemo } from '../local/drift-demo.ts'
import { LOCAL_DEFAULTS, startLocalPlatform } from '../local/platform.ts'

// Small windows and a short canary: the story takes a minute or two rather than an afternoon.
const DEMO_SETTINGS = {
  windowRows: 200,
  // Retraining starts when the drift alert fires.
  retrainAfterWindows: THRESHOLDS.driftWindows,
  canaryWeight: 20,
  syncSeconds: 1,
}

const LABELS_TOKEN_ENV = HOLDERS.labeller.env

export async function run(argv: string[]) {
  const { values, positionals } = parseCommandArgs(argv, {
    gateway: { type: 'string' },
    drift: { type: 'string' },
    registry: { type: 'string' },
    'api-key': { type: 'string' },
    'labels-token': { type: 'string' },
    'metrics-token': { type: 'string' },
    'canary-seconds': { type: 'string' },
    json: { type: 'boolean', default: false },
  })
  expectPositionals(positionals, 1, 'the name of a demo: drift')
  if (positionals[0] !== 'drift')
    throw new UsageError(`unknown demo '${positionals[0]}'; try drift`)
  const log = values.json ? () => {} : console.log
  const given = [values.gateway, values.drift, values.registry, values['api-key']]
  if (given.some(Boolean) && !given.every(Boolean)) {
    throw new UsageError('--gateway, --drift, --registry and --api-key go together')
  }
  if (values.gateway) {
    // The labeller's token: given, else INFERA_LABELS_TOKEN, else the running local platform's.
    const labelsToken = values['labels-token'] ?? localToken(LABELS_TOKEN_ENV)
    if (!labelsToken)
      throw new UsageError(
        `posting labels needs a token with scope drift:labels: --labels-token, ${LABELS_TOKEN_ENV}, or a local platform's ${localTokensFile()}`,
      )
    return print(
      await runDriftDemo(
        {
          gateway: values.gateway,
          drift: values.drift as string,
          registry: values.registry as string,
          apiKey: values['api-key'] as string,
          labelsToken,
          gatewayMetricsToken: values['metrics-token'] ?? localToken(GATEWAY_METRICS_ENV),
        },
        { log },
      ),
      values.json,
    )
  }
  // A platform of its own, in a fresh INFERA_HOME: the demo's drift and versions don't linger.
  const home = await mkdtemp(join(tmpdir(), 'infera-demo-'))
  process.env.INFERA_HOME = home
  log(`starting a local platform for the demo in ${home} ...`)
  const platform = await startLocalPlatform({
    ...LOCAL_DEFAULTS,
    ...DEMO_SETTINGS,
    host: '127.0.0.1',
    ports: { gateway: 0, inference: 0, drift: 0, registry: 0 },
    apiKey: 'infera-demo',
    quiet: true,
    log,
    canary: {
      analysisSeconds: toNumber(values['canary-seconds'], '--canary-seconds', { min: 1 }) ?? 15,
      minRequests: 50,
      intervalSeconds: 1,
    },
  })
  try {
    log(
      `gateway ${platform.gateway.url}, registry ${platform.registry.url}, drift ${platform.drift.url}`,
    )
    const result = await runDriftDemo(
      {
        gateway: platform.gateway.url,
        drift: platform.drift.url,
        registry: platform.registry.url,
        apiKey: platform.apiKey,
        labelsToken: platform.tokens.labeller,
        gatewayMetricsToken: platform.tokens.gatewayMetrics,
      },
      { log },
    )
    print(result, values.json)
  } finally {
    await platform.close()
    await rm(home, { recursive: true, force: true })
  }
}

function print(result: Awaited<ReturnType<typeof runDriftDemo>>, json: boolean) {
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  else console.log(`\nOutcome: ${result.outcome}.`)
}
