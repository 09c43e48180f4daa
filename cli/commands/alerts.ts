import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { writeAlerts } from '../../dashboards/build.ts'
import { AlertReceivers } from '../../dashboards/index.ts'
import { defineCommand, defineGroup, InputError } from '../args.ts'

const build = defineCommand({
  summary:
    'Writes the Prometheus rules generated from the SLOs (recording rules, burn-rate, ML and platform alerts) as DIR/rules/*.yaml and as a PrometheusRule (DIR/prometheusrule.yaml), and DIR/alertmanager.yaml routing to the receivers.',
  options: {
    out: { type: 'string', value: 'DIR', required: true, description: 'where to write the files' },
    receivers: {
      type: 'string',
      value: 'FILE',
      description:
        'JSON or YAML: pagerduty.routingKey, slack.webhookUrl and .channel, email.to, .from and .smarthost, heartbeat.webhookUrl',
    },
    namespace: {
      type: 'string',
      value: 'NS',
      default: 'monitoring',
      description: "the PrometheusRule's namespace",
    },
  },
  run: async ({ values }) => {
    const receivers = values.receivers ? await readReceivers(values.receivers) : {}
    const files = writeAlerts({ outDir: values.out, receivers, namespace: values.namespace })
    for (const file of files) console.log(file)
  },
})

export const command = defineGroup('Alerting rules and routing generated from the SLOs.', {
  build,
})

/** The receivers file, JSON or YAML; each problem named by its key. */
async function readReceivers(path: string): Promise<AlertReceivers> {
  let value: unknown
  try {
    value = parseYaml(await readFile(path, 'utf8'))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(
      code === 'ENOENT'
        ? `receivers file ${path} not found`
        : `${path}: ${(error as Error).message}`,
    )
  }
  const result = AlertReceivers.safeParse(value ?? {})
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
  throw new InputError(`${path} is invalid: ${problems.join('; ')}`)
}
