import { closeOnSignal, defineCommand, type OptionValues, toNumber, toPort } from '../args.ts'
import { inferaHome, localTokensFile } from '../home.ts'
import { developmentApiKey } from '../local/dev-key.ts'
import { logTarget } from '../local/logs.ts'
import type { LocalPlatform } from '../local/platform.ts'
import {
  checkNotRunning,
  checkPorts,
  DEFAULT_HOST,
  DEFAULT_PORTS,
  PORT_VARIABLES,
  portError,
} from '../local/preflight.ts'
import { trainingProgress } from '../local/progress.ts'

const OPTIONS = {
  host: {
    type: 'string',
    value: 'H',
    env: 'HOST',
    default: DEFAULT_HOST,
    description:
      'the interface the gateway, registry and drift listen on (0.0.0.0: every interface)',
  },
  verbose: {
    type: 'boolean',
    description:
      "the services' logs (access logs included) on the terminal rather than in $INFERA_HOME/logs (LOG=info does the same)",
  },
} as const

const say = (line: string) => process.stderr.write(`${line}\n`)

async function start({ values }: { values: OptionValues<typeof OPTIONS> }) {
  const env = process.env
  const canarySeconds = toNumber(env.INFERA_CANARY_SECONDS, 'INFERA_CANARY_SECONDS', { min: 1 })
  const ports = {
    gateway: toPort(env.PORT, PORT_VARIABLES.gateway) ?? DEFAULT_PORTS.gateway,
    drift: toPort(env.DRIFT_PORT, PORT_VARIABLES.drift) ?? DEFAULT_PORTS.drift,
    inference: toPort(env.INFERENCE_PORT, PORT_VARIABLES.inference) ?? DEFAULT_PORTS.inference,
    registry: toPort(env.REGISTRY_PORT, PORT_VARIABLES.registry) ?? DEFAULT_PORTS.registry,
  }
  // Before anything is loaded, trained or opened: a clash found a minute into start-up costs the minute.
  checkNotRunning()
  await checkPorts(values.host, ports)
  say(`starting Infera in ${inferaHome()} ...`)
  // Loaded only now: every service's code takes seconds to load, and the checks above need none of it.
  const { LOCAL_DEFAULTS, startLocalPlatform } = await import('../local/platform.ts')
  const apiKey = developmentApiKey(env)
  const platform = await startLocalPlatform({
    ...LOCAL_DEFAULTS,
    host: values.host,
    ports,
    apiKey: apiKey.key,
    logs: logTarget(values.verbose),
    log: say,
    onTrainingProgress: trainingProgress(process.stderr),
    canary: {
      ...LOCAL_DEFAULTS.canary,
      ...(canarySeconds === undefined ? {} : { analysisSeconds: canarySeconds }),
    },
  }).catch((error) => {
    throw portError(error, values.host, ports) ?? error
  })
  closeOnSignal(platform.close)
  // Last, so that it stays on screen: the services' own lines went to their log files before it.
  console.log(banner(platform, apiKey.source))
}

const row = (label: string, value: string) => `  ${(label ? `${label}:` : '').padEnd(48)}${value}`

function banner(platform: LocalPlatform, keySource: string) {
  const { gateway, inference, drift, registry, apiKey } = platform
  const logFiles = Object.values(platform.logFiles).filter((file) => file !== undefined)
  return [
    '',
    `Infera is running (ready in ${process.uptime().toFixed(1)} s).`,
    row('gateway (Open Inference Protocol, KServe V1)', gateway.url),
    row('development API key', apiKey),
    row('  kept in', keySource),
    row('gateway metrics', `${gateway.url}/metrics`),
    row('inference (loopback, behind the gateway)', inference.url),
    row('drift service', `${drift.url}/v1/drift/models`),
    row(
      `drift report (after ${platform.windowRows} predictions)`,
      `${drift.url}/v1/drift/penguins/report`,
    ),
    row('drift metrics', `${drift.url}/metrics`),
    row('model registry', `${registry.url}/v1/models`),
    row('registry metrics (canary analysis)', `${registry.url}/metrics`),
    row('client tokens (registry, labels, metrics)', localTokensFile()),
    row('state (INFERA_HOME)', inferaHome()),
    row('models served from', platform.servingDir),
    row('captured predictions', platform.captureDir),
    ...logFiles.map((file, i) => row(i === 0 ? 'logs (--verbose: on the terminal)' : '', file)),
    ...(platform.seeded.length ? [row('registered and promoted', platform.seeded.join(', '))] : []),
    '',
    'Try:',
    `  curl -s ${gateway.url}/v1/models/penguins:predict -H 'authorization: Bearer ${apiKey}' \\`,
    `    -H 'content-type: application/json' \\`,
    `    -d '{"instances":[{"bill_length_mm":39.1,"bill_depth_mm":18.7,"flipper_length_mm":181,"body_mass_g":3750,"island":"Torgersen","sex":"MALE"}]}'`,
    '  npm run infera -- models list',
    'Stop with Ctrl-C.',
  ].join('\n')
}

export const command = defineCommand({
  summary:
    'Runs the local platform with embedded defaults: the model registry with the demo models registered and promoted, inference following it, the drift service retraining into it and the gateway in front, with a canary controller.',
  options: OPTIONS,
  details: `Ports: PORT (gateway, 8080), INFERENCE_PORT (8082), DRIFT_PORT (8081), REGISTRY_PORT (8083);
each is checked before start-up, and a platform already running under the same INFERA_HOME is
refused. State lives under $INFERA_HOME (default ~/.infera). The services' logs go to
$INFERA_HOME/logs/<service>.log (warnings and errors also to the terminal) unless --verbose or
LOG=info. The development API key is INFERA_DEV_API_KEY, else the one kept in
$INFERA_HOME/dev-api-key (owner-only, made on first start). Registry writes and drift's ingest
and labels need tokens, new on every start: the operator's and the labeller's are written to
$INFERA_HOME/credentials.json (owner-only). INFERA_CANARY_SECONDS sets how long a canary must
stay within the SLO (default 300).`,
  run: start,
})
