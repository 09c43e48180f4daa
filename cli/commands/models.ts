import { buildDemoModels } from '../../training/demo/index.ts'
import { parseCommandArgs, UsageError } from '../args.ts'
import { defaultModelsDir } from '../home.ts'

export async function run(argv: string[]) {
  const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string' } })
  const [action] = positionals
  if (action !== 'build')
    throw new UsageError(`unknown models action '${action ?? ''}'; try 'infera models build'`)
  const outDir = values.out ?? defaultModelsDir()
  const summaries = await buildDemoModels({ outDir })
  for (const summary of summaries) console.log(JSON.stringify(summary))
  console.log(`model repository written to ${outDir}`)
}
