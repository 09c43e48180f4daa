import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { buildDemoModels } from '../../../../training/demo/index.ts'
import { tempDir } from '../../../inference/src/testing/index.ts'
import { createDrift, type DriftSetup } from '../index.ts'

/** The demo models' repository, built once per test file. */
export async function demoRepository() {
  const dir = tempDir('infera-drift-models-')
  await buildDemoModels({ outDir: dir })
  return dir
}

/** A version's reference.csv as row objects, numbers parsed. */
export function referenceRows(modelsDir: string, model: string, version = '1') {
  const [header, ...lines] = readFileSync(join(modelsDir, model, version, 'reference.csv'), 'utf8')
    .trim()
    .split('\n')
  const names = (header ?? '').split(',')
  return lines.map((line) =>
    Object.fromEntries(
      line
        .split(',')
        .map((cell, i) => [
          names[i],
          cell !== '' && !Number.isNaN(Number(cell)) ? Number(cell) : cell,
        ]),
    ),
  )
}

/** The drift app over a real service, store (PGlite in memory) and model repository, without a port. */
export async function createTestDriftApp(
  modelsDir: string,
  options: Partial<Omit<DriftSetup, 'modelsDir' | 'logger'>> = {},
) {
  const drift = await createDrift({
    modelsDir,
    window: { kind: 'count', size: 100 },
    processMetrics: false,
    logger: pino({ level: process.env.DEBUG_DRIFT ? 'debug' : 'silent' }),
    ...options,
  })
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
    drift.app.request(path, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    })
  return { ...drift, post }
}
