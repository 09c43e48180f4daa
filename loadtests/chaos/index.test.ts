import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { run } from '../../testing/tools/index.ts'
import type { FaultResult } from './accounting.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const chaos = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'loadtests/chaos/index.ts', ...args], { cwd: root })

// The suite as CI runs it, on three of its faults (the whole --short run is CI's, from .ci/run):
// the platform as separate processes, an inference process SIGKILLed under load and a corrupt
// version dropped into both repositories. A corrupt version used to take the model down (every
// unversioned request 503) until the previous version kept serving.
it('keeps serving through a killed replica and a corrupt version, losing nothing', {
  timeout: 240_000,
}, async () => {
  const result = await chaos([
    ...['--short', '--json', '--rate', '20'],
    ...['--faults', 'baseline,inference-killed,corrupt-version'],
  ])
  const { summary, faults } = JSON.parse(result.stdout) as {
    summary: { ok: boolean; sent: number }
    faults: FaultResult[]
  }
  expect(faults.map((f) => f.fault)).toEqual(['baseline', 'inference-killed', 'corrupt-version'])
  for (const fault of faults) {
    expect(fault.traffic.sent).toBeGreaterThan(0)
    expect(
      fault.checks.filter((c) => !c.ok),
      fault.fault,
    ).toEqual([])
  }
  expect(faults.find((f) => f.fault === 'corrupt-version')?.traffic.failed).toBe(0)
  expect(summary.ok).toBe(true)
  expect(result.status, result.output).toBe(0)
  // One line per fault on stderr, while stdout is the document alone.
  expect(result.output).toMatch(/^PASS corrupt-version +sent +\d+ +failed +0 /m)
})

it('refuses a fault it does not know, naming those it does', async () => {
  const result = await chaos(['--faults', 'meteor'])
  expect(result.status).toBe(2)
  expect(result.output).toContain("no fault 'meteor'")
  expect(result.output).toContain('inference-killed')
})
