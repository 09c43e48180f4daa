import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { buildDemoModels } from '../../../../training/demo/index.ts'
import { tempDir } from '../../../inference/src/testing/index.ts'
import { createDriftApp, DEFAULT_MAX_BODY_BYTES } from '../app/index.ts'
import { createDriftMetrics } from '../metrics/index.ts'
import { firstOf, MemoryReferences, RepositoryReferences } from '../references/index.ts'
import type { RetrainPolicyOptions, Trainer } from '../retrain/index.ts'
import { DriftService } from '../service/index.ts'
import { openDriftStore } from '../store/index.ts'
import type { WindowOptions } from '../window/index.ts'

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
  options: {
    window?: WindowOptions
    trainer?: Trainer
    retrain?: RetrainPolicyOptions
    labelledDir?: string
    maxBodyBytes?: number
  } = {},
) {
  const store = await openDriftStore({})
  const metrics = createDriftMetrics({ processMetrics: false })
  const logger = pino({ level: process.env.DEBUG_DRIFT ? 'debug' : 'silent' })
  const uploaded = new MemoryReferences()
  const service = new DriftService({
    references: firstOf(new RepositoryReferences(modelsDir), uploaded),
    store,
    metrics,
    logger,
    window: options.window ?? { kind: 'count', size: 100 },
    ...(options.trainer ? { trainer: options.trainer } : {}),
    ...(options.retrain ? { retrain: options.retrain } : {}),
    ...(options.labelledDir ? { labelledDir: options.labelledDir } : {}),
  })
  const app = createDriftApp({
    service,
    store,
    metrics,
    logger,
    uploaded,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    isReady: () => true,
  })
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    })
  return { app, service, store, metrics, post }
}
