// npm run chaos: the platform as separate processes, steady traffic through the gateway, and one
// fault at a time — a killed inference process, a corrupt and a half-written model version, drift,
// the registry, PostgreSQL and Redis down, a slow upstream, a full capture disk. One line per
// fault; exits 1 when any misses its target, so CI can block on it.
import { parseCommandArgs, UsageError } from '../../cli/args.ts'
import { formatLine, formatSummary, summary } from './accounting.ts'
import { DURATIONS, FAULTS } from './faults.ts'
import { startChaosPlatform } from './platform.ts'
import { runFaults, waitUntilServing } from './run.ts'

const USAGE = `npm run chaos -- [--short] [--json] [--faults a,b,…] [--rate N]
  --short   outages of seconds rather than the issue's 10-30 s: what CI runs (about 2½ minutes)
  --json    the results as one JSON document on stdout (progress goes to stderr)
  --faults  which faults, in order (default all): ${FAULTS.map((f) => f.name).join(', ')}
  --rate    requests per second through the gateway (default 50, 30 with --short)`

function parse(argv: string[]) {
  const { values } = parseCommandArgs(argv, {
    short: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    faults: { type: 'string' },
    rate: { type: 'string' },
    help: { type: 'boolean', default: false },
  })
  const names = values.faults?.split(',') ?? FAULTS.map((f) => f.name)
  const faults = names.map((name) => {
    const fault = FAULTS.find((f) => f.name === name)
    if (!fault) throw new UsageError(`no fault '${name}'\n\n${USAGE}`)
    return fault
  })
  const rate = Number(values.rate ?? (values.short ? 30 : 50))
  if (!Number.isInteger(rate) || rate < 1 || rate > 1000) {
    throw new UsageError(`--rate must be a whole number from 1 to 1000, not '${values.rate}'`)
  }
  return { ...values, faults, rate }
}

async function main(argv: string[]) {
  const options = parse(argv)
  if (options.help) return console.log(USAGE)
  // With --json, stdout is the document alone.
  const log = (line: string) => (options.json ? console.error(line) : console.log(line))
  const started = Date.now()
  const platform = await startChaosPlatform(log)
  let results: Awaited<ReturnType<typeof runFaults>> = []
  const stop = () => void platform.close().finally(() => process.exit(130))
  process.once('SIGINT', stop)
  try {
    log(
      `platform up in ${((Date.now() - started) / 1000).toFixed(1)} s; gateway ${platform.gateway}`,
    )
    await waitUntilServing(platform)
    results = await runFaults(platform, options.faults, {
      durations: DURATIONS[options.short ? 'short' : 'full'],
      rate: options.rate,
      leadSeconds: options.short ? 1.5 : 5,
      // The capture retries with backoff up to 30 s: rows may come that long after drift is back.
      settleSeconds: options.short ? 20 : 35,
      onResult: (result) => log(formatLine(result)),
      log,
    })
  } finally {
    process.off('SIGINT', stop)
    await platform.close()
  }
  const totals = summary(results)
  log(`${formatSummary(totals)} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
  if (options.json) console.log(JSON.stringify({ summary: totals, faults: results }, null, 2))
  process.exitCode = totals.ok ? 0 : 1
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof UsageError ? `chaos: ${error.message}` : error)
  process.exitCode = error instanceof UsageError ? 2 : 1
})
