import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { writeAlerts } from '../../dashboards/build.ts'
import { AlertReceivers } from '../../dashboards/index.ts'
import { InputError, parseCommandArgs, UsageError } from '../args.ts'

export async function run(argv: string[]) {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: 'string' },
    receivers: { type: 'string' },
    namespace: { type: 'string', default: 'monitoring' },
  })
  if (positionals[0] !== 'build' || positionals.length > 1) {
    throw new UsageError(
      `unknown alerts action '${positionals.join(' ')}'; try 'infera alerts build'`,
    )
  }
  if (!values.out) throw new UsageError('--out DIR is required')
  const receivers = values.receivers ? await readReceivers(values.receivers) : {}
  const files = writeAlerts({ outDir: values.out, receivers, namespace: values.namespace })
  for (const file of files) console.log(file)
}

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
