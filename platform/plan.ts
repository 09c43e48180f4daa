// `npm run platform:plan -- --stack prod`: the offline preview for code review. Runs the program
// for a stack under Pulumi's mocks (no cloud, no credentials, no Pulumi CLI) with the real stack
// file's config, prints the resource tree with each resource's key inputs, then runs the policy
// pack — the preflight set of AWS's and Kubernetes' rules among it — with the stack's policy
// config, prints every violation, and exits non-zero on a mandatory one.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { policies } from '../policies/all.ts'
import { policyReport } from '../policies/report.ts'
import { evaluate, type TestConfig } from '../policies/testing.ts'
import { ConfigError } from './config/index.ts'
import { runPlatform } from './testing/mocks.ts'
import { renderTree } from './testing/tree.ts'

const { values } = parseArgs({ options: { stack: { type: 'string', default: 'dev' } } })
const stack = values.stack as string

/** The policy config CI passes for this stack; without one every policy judges it as prod. */
function policyConfig(): Record<string, TestConfig> {
  const file = join(import.meta.dirname, '..', 'policies', 'config', `${stack}.json`)
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
}

let resources: Awaited<ReturnType<typeof runPlatform>>['resources']
try {
  ;({ resources } = await runPlatform(stack))
} catch (error) {
  if (!(error instanceof ConfigError || (error as NodeJS.ErrnoException).code === 'ENOENT'))
    throw error
  console.error(`platform:plan: ${(error as Error).message}`)
  process.exit(1)
}
console.log(`stack ${stack} (mocked: outputs such as ARNs and IDs are made up)\n`)
console.log(renderTree(resources))

const report = policyReport(policies, await evaluate(policies, resources, policyConfig()))
console.log(`\n${report.text}`)
if (report.mandatory > 0) {
  console.error(`platform:plan: ${report.mandatory} mandatory policy violations in ${stack}`)
  process.exit(1)
}
