// k6 cannot run here, so what k6 needs from the scripts is checked statically: they load only
// k6's own modules and relative TypeScript files, and each runs its own scenario with the SLO
// thresholds.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { errorBudget, slos } from '../../dashboards/slo/index.ts'
import { SCENARIOS } from '../scenarios.ts'
import { GATEWAY_THRESHOLDS } from '../thresholds.ts'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../..')
const SCRIPTS = Object.keys(SCENARIOS)

// `import type` is erased before k6 runs anything; every other import must load in k6.
const IMPORT = /^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm

/** Every module the script loads at run time, relative files followed, as `from → specifier`. */
function runtimeImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return []
  seen.add(file)
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].flatMap(([, typeOnly, specifier]) => {
    if (typeOnly) return []
    const spec = specifier as string
    const from = `${relative(root, file)} → ${spec}`
    if (!spec.startsWith('.')) return [from]
    const target = resolve(dirname(file), spec)
    return [from, ...runtimeImports(target, seen)]
  })
}

describe.each(SCRIPTS)('loadtests/k6/%s.ts', (name) => {
  const file = join(here, `${name}.ts`)

  it("loads only k6's modules and relative TypeScript files that exist", () => {
    const imports = runtimeImports(file)
    const refused = imports.filter((line) => {
      const spec = line.split(' → ')[1] as string
      return spec.startsWith('.') ? !spec.endsWith('.ts') : !/^k6(\/[a-z-]+)?$/.test(spec)
    })
    expect(refused).toEqual([])
    expect(imports.some((line) => line.endsWith('→ k6/http'))).toBe(true)
  })

  it('runs its own scenario and exports the prediction as its default function', () => {
    const source = readFileSync(file, 'utf8')
    expect(source).toContain(`export const options = optionsFor('${name}')`)
    expect(source).toMatch(/^export default predict$/m)
  })
})

describe('the thresholds', () => {
  it("are the gateway's SLOs: errors within the budget, the latency percentile under its bound", () => {
    const gateway = slos.filter((slo) => slo.service === 'gateway')
    const expected: Record<string, string[]> = {}
    for (const slo of gateway) {
      const [metric, expression] =
        slo.sli.kind === 'availability'
          ? ['http_req_failed', `rate<${errorBudget(slo)}`]
          : ['http_req_duration', `p(${slo.objective * 100})<${slo.sli.thresholdSeconds * 1000}`]
      expected[metric] = [expression]
    }
    expect(GATEWAY_THRESHOLDS).toEqual(expected)
    expect(GATEWAY_THRESHOLDS).toEqual({
      http_req_failed: ['rate<0.001'],
      http_req_duration: ['p(99)<250'],
    })
  })
})

describe('the GitHub workflow', () => {
  it("installs k6 and runs the scripts with Grafana's actions", () => {
    const workflow = parse(readFileSync(join(root, '.github/workflows/loadtests.yml'), 'utf8'))
    const steps = Object.values(
      workflow.jobs as Record<
        string,
        { steps: Array<{ uses?: string; with?: Record<string, string> }> }
      >,
    ).flatMap((job) => job.steps)
    expect(steps.some((s) => s.uses?.startsWith('grafana/setup-k6-action@'))).toBe(true)
    const runs = steps.filter((s) => s.uses?.startsWith('grafana/run-k6-action@'))
    expect(runs.length).toBeGreaterThan(0)
    // A path chosen when the workflow is dispatched is an expression: the rest are files.
    const paths = runs
      .flatMap((s) => (s.with?.path ?? '').split('\n').filter(Boolean))
      .filter((path) => !path.includes('${{'))
    for (const path of paths) expect(existsSync(join(root, path)), path).toBe(true)
    expect(new Set(paths.map((p) => p.replace(/^.*\/(\w+)\.ts$/, '$1')))).toEqual(new Set(SCRIPTS))
  })
})
