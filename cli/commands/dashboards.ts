import { writeDashboards } from '../../dashboards/build.ts'
import { parseCommandArgs, UsageError } from '../args.ts'

export async function run(argv: string[]) {
  const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string' } })
  if (positionals[0] !== 'build' || positionals.length > 1) {
    throw new UsageError(
      `unknown dashboards action '${positionals.join(' ')}'; try 'infera dashboards build'`,
    )
  }
  if (!values.out) throw new UsageError('--out DIR is required')
  for (const file of writeDashboards(values.out)) console.log(file)
}
