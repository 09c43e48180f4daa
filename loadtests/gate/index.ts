// npm run loadtest:gate: the k6 scenarios' load shapes, run with autocannon against the local
// platform it starts (or a gateway given by --url), judged by the same SLO thresholds. Exits 1
// when any threshold fails, so CI can block the release.
import { parseCommandArgs, UsageError } from '../../cli/args.ts'
import { warm } from '../../services/shared/bench/index.ts'
import { type Platform, startPlatform } from '../../testing/platform.ts'
import { PREDICT } from '../request.ts'
import { SCENARIOS, type ScenarioName } from '../scenarios.ts'
import { GATEWAY_THRESHOLDS } from '../thresholds.ts'
import { runSteps, type Target } from './run.ts'
import { scenarioSeconds, toSteps } from './shape.ts'
import { evaluate, type Samples, type ThresholdResult } from './thresholds.ts'

/** The length of each scenario in a --short run. */
const SHORT_SECONDS = 6

const USAGE = `npm run loadtest:gate -- [--scenario smoke,load,stress,soak] [--short]
                             [--url GATEWAY --api-key KEY] [--threshold METRIC:EXPRESSION]...
  --scenario   which scenarios, in order (default smoke,load,stress)
  --short      each scenario compressed to about ${SHORT_SECONDS} seconds, its shape kept (what CI runs)
  --url        an already running gateway instead of the local platform started for the run
  --threshold  one more threshold for every scenario, e.g. 'http_req_duration:p(95)<100'`

function parse(argv: string[]) {
  const { values } = parseCommandArgs(argv, {
    scenario: { type: 'string', default: 'smoke,load,stress' },
    short: { type: 'boolean', default: false },
    url: { type: 'string' },
    'api-key': { type: 'string' },
    threshold: { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  })
  const scenarios = values.scenario.split(',').map((name) => {
    if (!(name in SCENARIOS)) throw new UsageError(`no scenario '${name}'\n\n${USAGE}`)
    return name as ScenarioName
  })
  const thresholds: Record<string, string[]> = structuredClone(GATEWAY_THRESHOLDS)
  for (const extra of values.threshold) {
    const [metric, expression] = extra.split(/:(.*)/s)
    if (!metric || !expression)
      throw new UsageError(`--threshold wants METRIC:EXPRESSION, got '${extra}'`)
    thresholds[metric] = [...(thresholds[metric] ?? []), expression]
  }
  if (values.url && !values['api-key']) throw new UsageError('--url needs --api-key')
  return { ...values, scenarios, thresholds }
}

const format = (result: ThresholdResult) =>
  result.metric === 'http_req_duration' ? `${result.value.toFixed(2)} ms` : String(result.value)

function report(name: ScenarioName, samples: Samples, results: ThresholdResult[]) {
  const perSecond = (samples.requests / samples.seconds).toFixed(1)
  console.log(
    `\n${name}: ${samples.requests} requests in ${samples.seconds} s (${perSecond}/s), ${samples.failed} failed`,
  )
  for (const result of results) {
    console.log(
      `  ${result.ok ? '✓' : '✗'} ${result.metric.padEnd(18)} ${result.expression.padEnd(14)} ${format(result)}`,
    )
  }
}

async function main(argv: string[]) {
  const options = parse(argv)
  if (options.help) return console.log(USAGE)
  let platform: Platform | undefined
  if (!options.url) {
    console.log('starting the local platform ...')
    platform = await startPlatform()
  }
  const gateway = options.url ?? (platform as Platform).gateway
  const apiKey = options['api-key'] ?? (platform as Platform).apiKey
  const target: Target = {
    url: `${gateway}${PREDICT.path}`,
    method: PREDICT.method,
    headers: PREDICT.headers(apiKey),
    body: PREDICT.body,
  }
  let failed = 0
  try {
    // A process just started compiles its hot paths on the first requests: not what users see.
    if (platform)
      await warm(Number(new URL(gateway).port), PREDICT.path, PREDICT.body, target.headers)
    for (const name of options.scenarios) {
      const scenario = SCENARIOS[name]
      const scale = options.short ? Math.min(1, SHORT_SECONDS / scenarioSeconds(scenario)) : 1
      const samples = await runSteps(target, toSteps(scenario, scale))
      const results = evaluate(options.thresholds, samples)
      report(name, samples, results)
      failed += results.filter((r) => !r.ok).length
    }
  } finally {
    await platform?.stop()
  }
  console.log(failed === 0 ? '\ngate passed' : `\ngate FAILED: ${failed} threshold(s) not met`)
  process.exitCode = failed === 0 ? 0 : 1
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof UsageError ? `loadtest:gate: ${error.message}` : error)
  process.exitCode = error instanceof UsageError ? 2 : 1
})
