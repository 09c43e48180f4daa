/** Real models for the registry's tests: the demo models trained on their data, well and badly. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { toCsv } from '../../../../training/datasets/index.ts'
import { trainDemoModel } from '../../../../training/demo/pipeline.ts'
import { DEMO_SPECS } from '../../../../training/demo/specs.ts'
import type { Row } from '../../../../training/train/index.ts'
import { credentialFor, generateToken } from '../../../shared/credentials/index.ts'
import { migrate } from '../../../shared/database/index.ts'
import { freshPglite } from '../../../shared/database/testing.ts'
import { LocalArtifactStore } from '../artifacts/index.ts'
import { type RegisterInput, Registry } from '../registry/index.ts'
import { registryStore } from '../store/index.ts'
import { REGISTRY_SCHEMA } from '../store/migrations.ts'

const made: string[] = []
// Registered as the test file imports this module: it runs after all of the file's tests.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A temporary folder, removed once the test file's tests have run. */
export function tempDir(prefix = 'infera-registry-test-') {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A loopback URL on a port nothing listens on: connecting to it is refused. */
export async function unreachableUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

/**
 * A registry:write token and the credentials a registry service takes it with: `name` is the
 * audit actor of what the token changes.
 */
export async function registryWriter(name = 'alice') {
  const token = generateToken()
  return { token, credentials: [await credentialFor(name, token, ['registry:write'])] }
}

export type DemoName = 'penguins' | 'mpg'

export interface TrainedVersion {
  onnx: Uint8Array
  config: Record<string, unknown>
  metrics: Record<string, unknown>
  reference: string
}

const data = new Map<DemoName, Promise<{ train: Row[]; holdout: Row[] }>>()
const load = (name: DemoName) => {
  if (!data.has(name)) data.set(name, DEMO_SPECS[name].load())
  return data.get(name) as Promise<{ train: Row[]; holdout: Row[] }>
}

/**
 * A demo model trained for `epochs`: 100 is the demo's own (penguins: accuracy 1 on the holdout,
 * mpg: RMSE 3.8); 1 is a deliberately worse model (penguins 0.69, mpg 4.5).
 */
export async function trainVersion(name: DemoName, epochs = 100): Promise<TrainedVersion> {
  const spec = DEMO_SPECS[name]
  const split = await load(name)
  const model = trainDemoModel(name, { ...spec, training: { ...spec.training, epochs } }, split)
  return {
    onnx: new Uint8Array(model.onnx),
    config: model.config as Record<string, unknown>,
    metrics: model.metrics as unknown as Record<string, unknown>,
    reference: toCsv(model.referenceColumns, split.train),
  }
}

/** The rows the demo model was not trained on, with its features and target, as CSV. */
export async function holdoutCsv(name: DemoName): Promise<string> {
  const spec = DEMO_SPECS[name]
  const columns = [...spec.inputs.flatMap((input) => input.columns), spec.target]
  return toCsv(columns, (await load(name)).holdout)
}

/** What register takes for a trained version. */
export const registration = (
  name: string,
  trained: TrainedVersion,
  extra: Partial<RegisterInput> = {},
): RegisterInput => ({
  name,
  files: {
    'model.onnx': trained.onnx,
    'reference.csv': new TextEncoder().encode(trained.reference),
  },
  config: trained.config,
  metrics: trained.metrics,
  actor: 'alice',
  ...extra,
})

/** Writes a trained version as training does: `dir/<name>/config.json`, `dir/<name>/<v>/…`. */
export function writeVersionFolder(dir: string, name: string, version: number, t: TrainedVersion) {
  const versionDir = join(dir, name, String(version))
  mkdirSync(versionDir, { recursive: true })
  writeFileSync(join(versionDir, 'model.onnx'), t.onnx)
  writeFileSync(join(versionDir, 'metrics.json'), JSON.stringify(t.metrics))
  writeFileSync(join(versionDir, 'reference.csv'), t.reference)
  writeFileSync(join(dir, name, 'config.json'), JSON.stringify(t.config))
  return versionDir
}

async function memoryStore() {
  const db = await freshPglite()
  await migrate(db, REGISTRY_SCHEMA)
  return registryStore(db)
}

export interface PenguinsRegistry {
  registry: Registry
  artifactsDir: string
  /** Penguins trained as the demo is, and deliberately worse (one epoch). */
  good: TrainedVersion
  weak: TrainedVersion
  /** The penguins holdout set. */
  csv: string
}

/**
 * For a test file: a registry on PGlite in memory with artifacts in a temporary folder, opened
 * before its tests and closed after them.
 */
export function usePenguinsRegistry(): PenguinsRegistry {
  const fixture = {} as PenguinsRegistry
  beforeAll(async () => {
    const artifactsDir = tempDir('infera-registry-artifacts-')
    Object.assign(fixture, {
      registry: new Registry(await memoryStore(), new LocalArtifactStore(artifactsDir)),
      artifactsDir,
      good: await trainVersion('penguins'),
      weak: await trainVersion('penguins', 1),
      csv: await holdoutCsv('penguins'),
    })
  })
  afterAll(() => fixture.registry.close())
  return fixture
}
