import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { parseCsv, toCsv } from '../../../../training/datasets/index.ts'
import { buildDemoModels } from '../../../../training/demo/index.ts'
import { tempDir } from '../../../inference/src/testing/index.ts'
import { type ModelRegistry, readVersionFolder } from '../../../registry/src/index.ts'
import { bearer, credentialFor } from '../../../shared/credentials/index.ts'
import { createDriftService, type DriftSetup } from '../index.ts'

/** The demo models' repository, built once per test file. */

/** The penguins demo model's features, in its config's order. */
export const PENGUIN_FEATURES = [
  'bill_length_mm',
  'bill_depth_mm',
  'flipper_length_mm',
  'body_mass_g',
  'island',
  'sex',
]

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

/** Registers version 1 of a model of the demo repository and makes it production, as CI would. */
export async function registerDemoVersion(
  registry: ModelRegistry,
  modelsDir: string,
  model = 'penguins',
) {
  const folder = await readVersionFolder(join(modelsDir, model, '1'))
  await registry.register({ name: model, ...folder, actor: 'ci' })
  await registry.promote(model, 1, { to: 'production', actor: 'ci' })
}

type CsvRow = Record<string, string | number>

/**
 * Registers a model's demo version 1 again, as the next version, with its training rows changed by
 * `change` — or without reference.csv when `change` returns nothing. Returns the version number.
 */
export async function registerDemoVariant(
  registry: ModelRegistry,
  modelsDir: string,
  change: (rows: Record<string, string>[]) => CsvRow[] | undefined,
  model = 'penguins',
) {
  const folder = await readVersionFolder(join(modelsDir, model, '1'))
  const rows = change(parseCsv(new TextDecoder().decode(folder.files['reference.csv'])))
  const reference = rows && new TextEncoder().encode(toCsv(Object.keys(rows[0] ?? {}), rows))
  const files = {
    'model.onnx': folder.files['model.onnx'],
    ...(reference && { 'reference.csv': reference }),
  }
  return (await registry.register({ name: model, ...folder, files, actor: 'ci' })).version
}

/** The rows weighed in kilograms instead of grams. */
export const inKilograms = (rows: Record<string, string>[]) =>
  rows.map((row) => ({ ...row, body_mass_g: Number(row.body_mass_g) / 1000 }))

/** The tokens of the test app's two holders: the capture (ingest) and a labeller. */
export const TEST_TOKENS = { ingest: 'test-capture-token', labels: 'test-labeller-token' }

/**
 * The drift app over a real service, store (PGlite in memory) and model repository (or, without
 * one, the references the options name), without a port. `post` sends the labeller's token to
 * `/labels` and the capture's elsewhere, unless `headers` has an `authorization` of its own.
 */
export async function createTestDriftApp(
  modelsDir: string | undefined,
  options: Partial<Omit<DriftSetup, 'modelsDir'>> = {},
) {
  const drift = await createDriftService({
    ...(modelsDir && { modelsDir }),
    window: { kind: 'count', size: 100 },
    processMetrics: false,
    logger: pino({ level: process.env.DEBUG_DRIFT ? 'debug' : 'silent' }),
    credentials: [
      await credentialFor('capture', TEST_TOKENS.ingest, ['drift:ingest']),
      await credentialFor('labeller', TEST_TOKENS.labels, ['drift:labels']),
    ],
    ...options,
  })
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
    drift.app.request(path, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        ...bearer(path.endsWith('/labels') ? TEST_TOKENS.labels : TEST_TOKENS.ingest),
        ...headers,
      },
    })
  return { ...drift, post }
}
