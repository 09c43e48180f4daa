// `npm run platform:plan -- --stack prod`: the offline preview for code review. Runs the program
// for a stack under Pulumi's mocks (no cloud, no credentials, no Pulumi CLI) with the real stack
// file's config, and prints the resource tree with each resource's key inputs.
import { parseArgs } from 'node:util'
import { ConfigError } from './config/index.ts'
import { runPlatform } from './testing/mocks.ts'
import { renderTree } from './testing/tree.ts'

const { values } = parseArgs({ options: { stack: { type: 'string', default: 'dev' } } })
const stack = values.stack as string
try {
  const { resources } = await runPlatform(stack)
  console.log(`stack ${stack} (mocked: outputs such as ARNs and IDs are made up)\n`)
  console.log(renderTree(resources))
} catch (error) {
  if (!(error instanceof ConfigError || (error as NodeJS.ErrnoException).code === 'ENOENT'))
    throw error
  console.error(`platform:plan: ${(error as Error).message}`)
  process.exit(1)
}
