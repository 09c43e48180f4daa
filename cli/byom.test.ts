// The README's "Bring your own model" path, run as written: its shell commands are read out of
// README.md and run one by one against a running `infera start`, with the model the repository's
// ONNX writer builds standing in for the reader's export.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Platform, startPlatform } from '../testing/platform.ts'
import { buildMlp } from '../training/onnx/index.ts'
import { ort, runModel } from '../training/onnx/testing.ts'

const exec = promisify(execFile)
const root = fileURLToPath(new URL('../', import.meta.url))

/** The commands of the README section's shell block: comments dropped, continued lines joined. */
function readmeCommands(readme: string, section: string): string[] {
  const start = readme.indexOf(`\n## ${section}\n`)
  if (start === -1) throw new Error(`README.md has no section '## ${section}'`)
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))?.[1]
  if (!block) throw new Error(`the section '## ${section}' has no sh block`)
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
}

// What each command is, in order: the test checks the README still says these things, so that a
// command added, dropped or reordered there fails here rather than going untested.
const STEPS = [
  /^mkdir -p my-model\/1 && cp model\.onnx my-model\/1\/$/,
  /^cp training-rows\.csv my-model\/1\/reference\.csv$/,
  /^npm run infera -- models register --name my-model --dir my-model\/1$/,
  /^npm run infera -- models promote my-model 1 --to production$/,
  /^curl -s localhost:8080\/v2\/models\/my-model\/infer -H "authorization: Bearer \$KEY" /,
  /^curl -s localhost:8081\/v1\/drift\/models$/,
]

const SAMPLE = [5.1, 3.5, 1.4, 0.2]
// "Your exported model": FP32 input [batch, 4] to output [batch, 3], no config.json.
const model = buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 7, softmax: false })

let platform: Platform
let workdir: string
beforeAll(async () => {
  platform = await startPlatform({ apiKey: 'byom-key' })
  workdir = mkdtempSync(join(tmpdir(), 'infera-byom-'))
  writeFileSync(join(workdir, 'model.onnx'), model)
  // Its training rows, one column per value of the input, as predictions are captured.
  const rows = Array.from({ length: 200 }, (_, i) =>
    SAMPLE.map((x, j) => (x + Math.sin(i * (j + 1))).toFixed(3)).join(','),
  )
  writeFileSync(
    join(workdir, 'training-rows.csv'),
    ['input_0,input_1,input_2,input_3', ...rows, ''].join('\n'),
  )
}, 180_000)
afterAll(() => platform?.stop('SIGKILL'))

/** A README command as it runs here: `npm run infera --` is bin/infera.js, localhost the platform. */
function asRun(command: string) {
  return command
    .replaceAll(
      'npm run infera --',
      `${JSON.stringify(process.execPath)} ${join(root, 'bin/infera.js')}`,
    )
    .replaceAll('localhost:8080', new URL(platform.gateway).host)
    .replaceAll('localhost:8081', new URL(platform.drift).host)
}

async function sh(command: string) {
  return exec('sh', ['-c', asRun(command)], {
    cwd: workdir,
    // INFERA_HOME is the platform's: the README's reader has the default, ~/.infera, for both.
    env: { ...process.env, INFERA_HOME: platform.home, KEY: platform.apiKey },
  })
}

/** Runs a command until `check` accepts its output: served and watched take a sync or two. */
async function until<T>(command: string, check: (stdout: string) => T | undefined): Promise<T> {
  let last = ''
  for (let attempt = 0; attempt < 60; attempt++) {
    last = (await sh(command)).stdout
    const value = check(last)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`'${command}' never answered as expected; last:\n${last}`)
}

const json = (text: string) => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

describe("the README's bring-your-own-model path", () => {
  it('exports, registers without config.json, promotes through the sample gate, predicts and is watched by drift', async () => {
    const commands = readmeCommands(
      readFileSync(join(root, 'README.md'), 'utf8'),
      'Bring your own model',
    )
    expect(commands).toHaveLength(STEPS.length)
    for (const [i, command] of commands.entries()) expect(command).toMatch(STEPS[i] as RegExp)
    const [copyModel, copyReference, register, promote, predict, watched] = commands as string[]

    await sh(copyModel as string)
    await sh(copyReference as string)
    expect(existsSync(join(workdir, 'my-model/1/model.onnx'))).toBe(true)
    expect(existsSync(join(workdir, 'my-model/1/config.json'))).toBe(false)

    const registered = await sh(register as string)
    expect(registered.stdout).toContain('registered my-model version 1 (candidate)')

    await sh(promote as string)
    const { stdout } = await exec(
      process.execPath,
      ['bin/infera.js', 'models', 'show', 'my-model', '--json'],
      { cwd: root, env: { ...process.env, INFERA_HOME: platform.home } },
    )
    const shown = JSON.parse(stdout)
    expect(shown.aliases.production.version).toBe(1)
    const promotion = shown.audit.find((e: { action: string }) => e.action === 'promote')
    expect(promotion).toMatchObject({
      actor: 'operator',
      details: { gate_passed: true, forced: false },
    })

    // What the gateway answers is what onnxruntime computes from the exported graph.
    const expected = await runModel(model, {
      input: new ort.Tensor('float32', Float32Array.from(SAMPLE), [1, 4]),
    })
    const answer = await until(predict as string, (out) => json(out)?.outputs?.[0])
    expect(answer).toMatchObject({ name: 'output', datatype: 'FP32', shape: [1, 3] })
    const want = Array.from(expected.output?.data as Float32Array)
    expect(answer.data).toHaveLength(3)
    for (const [i, value] of (answer.data as number[]).entries()) {
      expect(value).toBeCloseTo(want[i] as number, 5)
    }

    const monitored = await until(watched as string, (out) =>
      json(out)?.models?.find(
        (m: { model: string; rows_seen: number }) => m.model === 'my-model' && m.rows_seen > 0,
      ),
    )
    expect(monitored).toMatchObject({ model: 'my-model', version: '1', rows_seen: 1 })
  }, 180_000)
})
