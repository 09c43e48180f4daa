import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { THRESHOLDS } from '../../dashboards/rules/thresholds.ts'
import { defineCommand, defineGroup, type Parsed, toNumber, UsageError } from '../args.ts'
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

const OPTIONS = {
  'canary-seconds': {
    type: 'string',
    value: 'S',
    default: '15',
    description:
      "how long the retrained version's canary must stay within the SLO (on the demo's own platform)",
  },
  json: { type: 'boolean', description: 'prints the outcome as JSON, and no story' },
  gateway: {
    type: 'string',
    value: 'URL',
    description: "drives a running platform (npm start) instead of starting one: its gateway's URL",
  },
  drift: { type: 'string', value: 'URL', description: "the running platform's drift service" },
  registry: { type: 'string', value: 'URL', description: "the running platform's registry" },
  'api-key': { type: 'string', value: 'KEY', description: "the running platform's API key" },
  'labels-token': {
    type: 'string',
    value: 'T',
    description: `the token labels are posted with (default ${LABELS_TOKEN_ENV}, else $INFERA_HOME/credentials.json's)`,
  },
  'metrics-token': {
    type: 'string',
    value: 'T',
    description: `the token the gateway's /metrics are read with (default ${GATEWAY_METRICS_ENV}, else $INFERA_HOME/credentials.json's)`,
  },
} as const

export const command = defineGroup('Demonstrations on real data.', {
  drift: defineCommand({
    summary:
      'Sends weather traffic whose season shifts and shows drift detected, a retraining job, the new version gated and canaried, then promoted or rolled back. Without URLs it starts a platform of its own in a temporary INFERA_HOME; with --gateway, --drift, --registry and --api-key it drives a running one.',
    options: OPTIONS,
    run,
  }),
})

async function run({ values }: Parsed<typeof OPTIONS>) {
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
    logs: 'warnings',
    log,
    canary: {
      analysisSeconds: toNumber(values['canary-seconds'], '--canary-seconds', { min: 1 }) as number,
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
