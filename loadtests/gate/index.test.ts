import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { run } from '../../testing/tools/index.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

// The whole gate as CI runs it: the local platform started, a scenario's shape, the summary, the
// exit code. A median under 0 ms cannot be met. (The latency SLO usually is, but the rest of the
// suite runs beside this test and may slow it: only errors are asserted to stay within budget.)
it('fails when a threshold cannot be met, and says which', { timeout: 120_000 }, async () => {
  const gate = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'loadtests/gate/index.ts',
      '--short',
      '--scenario',
      'smoke,load',
      '--threshold',
      'http_req_duration:p(50)<0',
    ],
    { cwd: root },
  )
  expect(gate.status, gate.output).toBe(1)
  for (const scenario of ['smoke', 'load']) {
    expect(gate.stdout).toMatch(new RegExp(`^${scenario}: \\d+ requests in 6 s .*, 0 failed$`, 'm'))
  }
  expect(gate.stdout.match(/✓ http_req_failed +rate<0\.001 +0$/gm)).toHaveLength(2)
  expect(gate.stdout.match(/[✓✗] http_req_duration +p\(99\)<250 +[\d.]+ ms$/gm)).toHaveLength(2)
  expect(gate.stdout.match(/✗ http_req_duration +p\(50\)<0 +[\d.]+ ms$/gm)).toHaveLength(2)
  expect(gate.stdout).toMatch(/^gate FAILED: [2-4] threshold\(s\) not met$/m)
})

it('refuses a scenario it does not know', async () => {
  const gate = await run(
    process.execPath,
    ['--import', 'tsx', 'loadtests/gate/index.ts', '--scenario', 'spike'],
    { cwd: root },
  )
  expect(gate.status).toBe(2)
  expect(gate.output).toContain("no scenario 'spike'")
})
